import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';

/**
 * What the module reads of a request on either platform: Express's request is
 * Node's message itself, Fastify's wraps it as `raw`.
 */
export interface HttpRequest {
  method: string;
  headers: IncomingHttpHeaders;
  query?: Record<string, unknown>;
  raw?: IncomingMessage;
}

export function nodeRequestOf(request: HttpRequest): IncomingMessage {
  return request.raw ?? (request as unknown as IncomingMessage);
}
