import { createHash, timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import {
  createServer,
  IncomingMessage,
  OutgoingHttpHeaders,
  ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  Logger,
  OnApplicationBootstrap,
  OnModuleDestroy,
} from '@nestjs/common';
import type { MetricsListenerSettings } from '../config/standalone-settings';
import { PasswordResetMetrics } from '../../index';

const sha256 = (text: string) => createHash('sha256').update(text).digest();

/**
 * The standalone server's `GET /metrics`, on a listener of its own
 * (`METRICS_PORT` on `METRICS_HOST`, loopback by default) that serves nothing
 * else, and with `METRICS_TOKEN` only to a scraper that sends it as a bearer
 * token. The public listener has no metrics route at all.
 */
export class MetricsListener
  implements OnApplicationBootstrap, OnModuleDestroy
{
  private readonly logger = new Logger('MetricsListener');
  private readonly server = createServer(
    (request, response) => void this.answer(request, response),
  );
  private readonly tokenDigest?: Buffer;

  constructor(
    private readonly metrics: PasswordResetMetrics,
    private readonly settings: MetricsListenerSettings,
  ) {
    this.tokenDigest =
      settings.token === undefined ? undefined : sha256(settings.token);
  }

  get address(): AddressInfo {
    return this.server.address() as AddressInfo;
  }

  async onApplicationBootstrap(): Promise<void> {
    this.server.listen(this.settings.port, this.settings.host);
    await once(this.server, 'listening');
    const { address, port } = this.address;
    this.logger.log(
      `Metrics on http://${address.includes(':') ? `[${address}]` : address}:${port}/metrics${this.tokenDigest ? ' (bearer token)' : ''}`,
    );
  }

  async onModuleDestroy(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  /** Digests of equal length, compared in constant time: the answer's timing tells nothing of the token. */
  private authorised(authorization: string | undefined): boolean {
    const token = /^Bearer (\S+)$/i.exec(authorization ?? '')?.[1];
    return (
      token !== undefined && timingSafeEqual(sha256(token), this.tokenDigest!)
    );
  }

  private async answer(
    request: IncomingMessage,
    response: ServerResponse,
  ): Promise<void> {
    const reply = (
      statusCode: number,
      error: string,
      message: string,
      headers: OutgoingHttpHeaders = {},
    ) => {
      response.writeHead(statusCode, {
        'Content-Type': 'application/json; charset=utf-8',
        ...headers,
      });
      response.end(JSON.stringify({ statusCode, error, message }));
    };
    if ((request.url ?? '').split('?')[0] !== '/metrics')
      return reply(404, 'Not Found', 'This listener serves GET /metrics only');
    if (request.method !== 'GET' && request.method !== 'HEAD')
      return reply(405, 'Method Not Allowed', 'GET /metrics only', {
        Allow: 'GET, HEAD',
      });
    if (this.tokenDigest && !this.authorised(request.headers.authorization)) {
      return reply(401, 'Unauthorized', 'A bearer token is required', {
        'WWW-Authenticate': 'Bearer realm="metrics"',
      });
    }
    try {
      const { contentType, text } = await this.metrics.scrape();
      response.writeHead(200, {
        'Content-Type': contentType,
        'Cache-Control': 'no-store',
      });
      response.end(request.method === 'HEAD' ? undefined : text);
    } catch (error) {
      this.logger.error(
        `Scrape failed: ${error instanceof Error ? error.message : String(error)}`,
      );
      reply(500, 'Internal Server Error', 'The metrics could not be gathered');
    }
  }
}
