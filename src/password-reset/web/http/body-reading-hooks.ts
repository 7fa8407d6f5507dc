import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { AbstractHttpAdapter } from '@nestjs/core';
import type { HttpRequest } from './http-request';
import type { PasswordResetPaths } from './password-reset-paths';
import { readBeforeTheHost } from './request-body';

type NodeRequest = IncomingMessage & { url: string; method: string };

/**
 * Express runs middleware in the order it was added. This is added while the
 * application is created, so it runs before the middleware and the body
 * parsers the host adds later (Nest adds its parsers in `app.init()`), and
 * those parsers skip a request whose body has been read.
 */
function readOnExpress(
  adapter: AbstractHttpAdapter,
  paths: PasswordResetPaths,
): void {
  adapter.use((request: NodeRequest, _response: unknown, next: () => void) => {
    request.url = paths.withoutExtraLeadingSlash(request.url) ?? request.url;
    if (request.method === 'POST' && paths.isModuleRoute(request.url))
      void readBeforeTheHost(request).then(() => next());
    else next();
  });
}

interface FastifyRequest extends HttpRequest {
  raw: NodeRequest;
  routeOptions: { url?: string };
  body: unknown;
}

interface FastifyInstance {
  addHook(
    name: 'preParsing',
    hook: (
      request: FastifyRequest,
      reply: unknown,
      payload: unknown,
      done: (error: null, payload: unknown) => void,
    ) => void,
  ): unknown;
  addHook(
    name: 'preValidation',
    hook: (request: FastifyRequest, reply: unknown, done: () => void) => void,
  ): unknown;
}

/** The headers by which Fastify decides that a request has a body to parse. */
const BODY_HEADERS = ['content-type', 'content-length', 'transfer-encoding'];
const hiddenBodyHeaders = new WeakMap<IncomingMessage, IncomingHttpHeaders>();

/** Set to undefined rather than deleted: deleting keys makes every later header read of the request slower. */
function hideBodyHeaders(request: IncomingMessage): void {
  const { headers } = request;
  const hidden: IncomingHttpHeaders = {};
  for (const name of BODY_HEADERS) {
    if (headers[name] === undefined) continue;
    hidden[name] = headers[name];
    headers[name] = undefined;
  }
  hiddenBodyHeaders.set(request, hidden);
}

/**
 * Fastify routes a request, then parses its body with the parsers of the
 * host, or answers 415 where it has none (forms, unless the host added one).
 * For the module's routes the body is read in the first `preParsing` hook
 * instead, and Fastify is shown a request without a body, so that it parses
 * nothing; the first `preValidation` hook, which Fastify runs next, shows the
 * headers again. Both hooks are added while the application is created, so
 * they come before the host's.
 */
function readOnFastify(
  fastify: FastifyInstance,
  paths: PasswordResetPaths,
): void {
  fastify.addHook('preParsing', (request, _reply, payload, done) => {
    if (
      request.method !== 'POST' ||
      !paths.isModuleRoute(request.routeOptions.url)
    )
      return done(null, payload);
    void readBeforeTheHost(request.raw).then((body) => {
      request.body = body;
      hideBodyHeaders(request.raw);
      done(null, payload);
    });
  });
  fastify.addHook('preValidation', (request, _reply, done) => {
    Object.assign(request.raw.headers, hiddenBodyHeaders.get(request.raw));
    done();
  });
}

/** Has the bodies of the module's routes read by the module, ahead of the host's parsers, on either platform. */
export function readBodiesBeforeTheHost(
  adapter: AbstractHttpAdapter,
  paths: PasswordResetPaths,
): void {
  if (adapter.getType() === 'fastify')
    readOnFastify(adapter.getInstance(), paths);
  else readOnExpress(adapter, paths);
}
