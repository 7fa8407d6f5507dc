import { readFileSync } from 'node:fs';
import { STATUS_CODES } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ServerOptions as HttpsServerOptions } from 'node:https';
import {
  INestApplication,
  Logger,
  LoggerService,
  LogLevel,
  NestApplicationOptions,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import helmet from 'helmet';
import { AppModule } from './app.module';
import { EmlFileTransport, type PasswordResetModuleOptions } from '../index';
import type {
  RequestTimeouts,
  StandaloneSettings,
  TlsFiles,
} from './config/standalone-settings';

export interface ServerOptions {
  moduleOverrides?: Partial<PasswordResetModuleOptions>;
  logger?: LoggerService | LogLevel[];
}

type AppModuleDefinition = ReturnType<typeof AppModule.forSettings>;

// Typed by Node's options, as Nest's HttpsOptions lacks minVersion; both platforms hand them to https.createServer as they are.
function httpsOptions({
  certFile,
  keyFile,
}: TlsFiles): Pick<HttpsServerOptions, 'cert' | 'key' | 'minVersion'> {
  return {
    cert: readFileSync(certFile),
    key: readFileSync(keyFile),
    minVersion: 'TLSv1.2',
  };
}

/** HSTS is set apart, only over TLS. */
const HELMET_OPTIONS = { strictTransportSecurity: false } as const;

const CLIENT_ERRORS: Record<
  string,
  { status: number; code: string; message: string }
> = {
  ERR_HTTP_REQUEST_TIMEOUT: {
    status: 408,
    code: 'request_timeout',
    message: 'the request did not arrive in time',
  },
  HPE_HEADER_OVERFLOW: {
    status: 431,
    code: 'headers_too_large',
    message: 'the request headers are too large',
  },
};
const MALFORMED_REQUEST = {
  status: 400,
  code: 'malformed_request',
  message: 'the request is not well-formed HTTP',
};

/**
 * Node's answer to a request that never became one (too slow, headers too
 * large, not HTTP), in the JSON error format of every other answer, the same
 * on both platforms (Node's own has no body, Fastify's another one); then the
 * connection closes, as Node's does.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const { status, code, message } =
    CLIENT_ERRORS[error.code ?? ''] ?? MALFORMED_REQUEST;
  const body = JSON.stringify({
    statusCode: status,
    error: STATUS_CODES[status],
    message,
    code,
  });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

/**
 * A client that sends its headers or body a byte at a time holds a connection
 * for as long as it likes unless the server bounds it: Node's default is 300 s
 * for a request on Express and no bound at all on Fastify. Node looks for
 * overdue requests every `connectionsCheckingInterval` (30 s by default), which
 * would stretch a short bound; it reads that interval when it starts listening.
 */
function boundRequestTimes(
  server: Server,
  { headersMs, requestMs }: RequestTimeouts,
): void {
  server.headersTimeout = headersMs;
  server.requestTimeout = requestMs;
  (
    server as Server & { connectionsCheckingInterval: number }
  ).connectionsCheckingInterval = Math.min(1000, headersMs);
}

/**
 * One rule for paths on both platforms: exact case, no trailing slash, no
 * percent-escapes, no empty segments; only a path that starts with two slashes
 * is taken as if it had one, for the API document's clients, which post to
 * `//auth/lostPassword`.
 */
function withOneLeadingSlash(url: string): string {
  return url.startsWith('//') ? url.slice(1) : url;
}

/** The Express that Nest's adapter runs on, with the path rule set before the adapter makes its router. */
function strictExpress(): import('express').Express {
  const express = require(
    require.resolve('express', {
      paths: [require.resolve('@nestjs/platform-express')],
    }),
  ) as typeof import('express');
  const instance = express();
  instance.set('case sensitive routing', true);
  instance.set('strict routing', true);
  instance.use(
    (request: IncomingMessage, _response: ServerResponse, next: () => void) => {
      request.url = withOneLeadingSlash(request.url!);
      next();
    },
  );
  return instance;
}

/** The headers a helmet middleware sets on a response, read once: with fixed options they are the same on every response. */
function headersSetBy(
  middleware: (
    request: IncomingMessage,
    response: ServerResponse,
    next: () => void,
  ) => void,
): Record<string, string> {
  const headers = new Map<string, string>();
  const recorder = {
    setHeader: (name: string, value: string) => headers.set(name, value),
    removeHeader: (name: string) => headers.delete(name),
  };
  middleware(
    {} as IncomingMessage,
    recorder as unknown as ServerResponse,
    () => undefined,
  );
  return Object.fromEntries(headers);
}

/**
 * Helmet's headers, read once, with HSTS added only where the browser got the
 * response over TLS: our own, or a trusted proxy's (`TRUST_PROXY` and
 * `X-Forwarded-Proto: https`), which `protocol` says on both platforms.
 * RFC 6797 §7.2 forbids HSTS over plain HTTP, where browsers ignore it anyway.
 */
function securityHeadersFor(): (protocol: string) => Map<string, string> {
  const always = headersSetBy(helmet(HELMET_OPTIONS));
  const overTls = {
    ...always,
    ...headersSetBy(helmet.strictTransportSecurity()),
  };
  const overHttp = new Map(Object.entries(always));
  const overHttps = new Map(Object.entries(overTls));
  return (protocol) => (protocol === 'https' ? overHttps : overHttp);
}

interface FastifyHooks {
  addHook(
    name: 'onRequest',
    hook: (
      request: { protocol: string },
      reply: { raw: ServerResponse },
      done: () => void,
    ) => void,
  ): unknown;
}

/**
 * Helmet's headers on every response, 404s included, set from the values read
 * once rather than by helmet on each request (through middie on Fastify),
 * which cost about a tenth of a lostPassword request's CPU.
 */
function sendSecurityHeaders(app: INestApplication): void {
  const securityHeaders = securityHeadersFor();
  if (app.getHttpAdapter().getType() === 'fastify') {
    (app.getHttpAdapter().getInstance() as FastifyHooks).addHook(
      'onRequest',
      (request, reply, done) => {
        reply.raw.setHeaders(securityHeaders(request.protocol));
        done();
      },
    );
  } else {
    app.use(
      (
        request: IncomingMessage & { protocol: string },
        response: ServerResponse,
        next: () => void,
      ) => {
        response.setHeaders(securityHeaders(request.protocol));
        next();
      },
    );
  }
}

// Each platform is loaded only when chosen: loading the other as well cost a tenth of the start.
async function onExpress(
  module: AppModuleDefinition,
  settings: StandaloneSettings,
  options: NestApplicationOptions,
): Promise<INestApplication> {
  const { ExpressAdapter } =
    require('@nestjs/platform-express') as typeof import('@nestjs/platform-express');
  const app = await NestFactory.create<NestExpressApplication>(
    module,
    new ExpressAdapter(strictExpress()),
    { ...options, httpsOptions: settings.tls && httpsOptions(settings.tls) },
  );
  app.getHttpServer().on('clientError', answerClientError);
  app.set('trust proxy', settings.trustProxy);
  app.disable('x-powered-by');
  return app;
}

/**
 * `TRUST_PROXY` as Express reads it. A hop count trusts that many hops on
 * Express, and none on Fastify, so Fastify gets Express's rule as a function.
 */
function fastifyTrustProxy(
  trustProxy: StandaloneSettings['trustProxy'],
): boolean | string | ((address: string, hop: number) => boolean) {
  return typeof trustProxy === 'number'
    ? (_address, hop) => hop < trustProxy
    : trustProxy;
}

async function onFastify(
  module: AppModuleDefinition,
  settings: StandaloneSettings,
  options: NestApplicationOptions,
): Promise<INestApplication> {
  const { FastifyAdapter } =
    require('@nestjs/platform-fastify') as typeof import('@nestjs/platform-fastify');
  const adapter = new FastifyAdapter({
    trustProxy: fastifyTrustProxy(settings.trustProxy),
    ...(settings.tls && { https: httpsOptions(settings.tls) }),
    // Fastify routes a request before any hook could rewrite its URL: the API document's `//auth/lostPassword` is the router's to match.
    routerOptions: { ignoreDuplicateSlashes: true },
    clientErrorHandler: answerClientError,
  });
  const fastify = adapter.getInstance();
  // As Express with Nest's parsers off: no route but the module's reads a body, so a body elsewhere is never refused for its content type or form.
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', (_request, _payload, done) =>
    done(null, undefined),
  );
  // Fastify's router decodes percent-escapes and skips empty segments, which Express matches as they were sent: such a path is no route.
  // A hook after the request hooks, so that this 404 has the headers of every other (helmet's among them).
  fastify.addHook('preHandler', (request, reply, done) => {
    const path = withOneLeadingSlash(request.raw.url!).split('?')[0];
    if (!request.is404 && (path.includes('%') || path.includes('//')))
      return void reply.callNotFound();
    done();
  });
  return NestFactory.create(module, adapter, options);
}

/**
 * The OpenAPI document of every route at `/docs-json`, with Swagger UI at
 * `/docs`; built at the first request, once the routes are known. Its scripts
 * and styles are files of its own, within the default CSP of helmet.
 */
function serveOpenApi(app: INestApplication): void {
  const info = new DocumentBuilder()
    .setOpenAPIVersion('3.1.0')
    .setTitle('Password reset')
    .setDescription(
      'The forgot-my-password flow: ask for a link, check it, set a new password.',
    )
    .setVersion('1.0.0')
    .build();
  SwaggerModule.setup(
    'docs',
    app,
    () => SwaggerModule.createDocument(app, info),
    { jsonDocumentUrl: 'docs-json', raw: ['json'] },
  );
}

/** Mail written to files is not sent, and the files hold live links: said at every start, not only in the log of each mail. */
function warnOfFileMail(settings: StandaloneSettings): void {
  if (!(settings.mailTransport instanceof EmlFileTransport)) return;
  new Logger('PasswordResetServer').warn(
    `SMTP_URL is not set: no mail is sent; each one, its live reset link included, is written to a file under ${settings.mailTransport.directory}`,
  );
}

/** The standalone server, configured; `main.ts` listens on it, the e2e tests drive it. */
export async function createServer(
  settings: StandaloneSettings,
  options: ServerOptions = {},
): Promise<INestApplication> {
  const module = AppModule.forSettings(settings, options.moduleOverrides);
  // No route but the module's takes a body, and the module reads its own.
  const applicationOptions = {
    bodyParser: false,
    logger: options.logger ?? ['log', 'warn', 'error', 'fatal'],
  } satisfies NestApplicationOptions;
  const app =
    settings.httpAdapter === 'fastify'
      ? await onFastify(module, settings, applicationOptions)
      : await onExpress(module, settings, applicationOptions);
  boundRequestTimes(app.getHttpServer(), settings.requestTimeouts);
  warnOfFileMail(settings);
  sendSecurityHeaders(app);
  if (settings.docs) serveOpenApi(app);
  return app;
}

/** On every interface, as Node's `listen(port)` does on Express; Fastify's own default is loopback only. */
export async function listenEverywhere(
  app: INestApplication,
  port: number,
): Promise<void> {
  await (app.getHttpAdapter().getType() === 'fastify'
    ? app.listen(port, '::')
    : app.listen(port));
}
