import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ServerOptions as HttpsServerOptions } from 'node:https';
import { INestApplication, LoggerService, LogLevel, NestApplicationOptions } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import helmet from 'helmet';
import { AppModule } from './app.module';
import type { StandaloneSettings, TlsFiles } from './config/standalone-settings';
import type { PasswordResetModuleOptions } from './password-reset/interfaces/password-reset-module-options.interface';

export interface ServerOptions {
  moduleOverrides?: Partial<PasswordResetModuleOptions>;
  logger?: LoggerService | LogLevel[];
}

type AppModuleDefinition = ReturnType<typeof AppModule.forSettings>;

// Typed by Node's options, as Nest's HttpsOptions lacks minVersion; both platforms hand them to https.createServer as they are.
function httpsOptions({ certFile, keyFile }: TlsFiles): Pick<HttpsServerOptions, 'cert' | 'key' | 'minVersion'> {
  return { cert: readFileSync(certFile), key: readFileSync(keyFile), minVersion: 'TLSv1.2' };
}

/** HSTS is set apart, only over TLS. */
const HELMET_OPTIONS = { strictTransportSecurity: false } as const;

/**
 * HSTS only where the browser got the response over TLS: our own, or a trusted
 * proxy's (`TRUST_PROXY` and `X-Forwarded-Proto: https`), which is what
 * `protocol` says on Express and on Fastify's middleware alike. RFC 6797 §7.2
 * forbids it over plain HTTP, where browsers ignore it anyway.
 */
function strictTransportSecurityOverTls() {
  const strictTransportSecurity = helmet.strictTransportSecurity();
  return (request: IncomingMessage & { protocol?: string }, response: ServerResponse, next: (error?: Error) => void) =>
    request.protocol === 'https' ? strictTransportSecurity(request, response, next) : next();
}

/** The headers a helmet middleware sets on a response, read once: with fixed options they are the same on every response. */
function headersSetBy(middleware: (request: IncomingMessage, response: ServerResponse, next: () => void) => void): Record<string, string> {
  const headers = new Map<string, string>();
  const recorder = { setHeader: (name: string, value: string) => headers.set(name, value), removeHeader: (name: string) => headers.delete(name) };
  middleware({} as IncomingMessage, recorder as unknown as ServerResponse, () => undefined);
  return Object.fromEntries(headers);
}

interface FastifyHooks {
  addHook(name: 'onRequest', hook: (request: { protocol: string }, reply: { headers(values: Record<string, string>): unknown }, done: () => void) => void): unknown;
}

/**
 * Helmet's headers, and HSTS over TLS (Fastify's `protocol` follows
 * `TRUST_PROXY` as Express's does), on every response, 404s included. Set by
 * a Fastify hook rather than by helmet through middie, which cost about a
 * tenth of a lostPassword request's CPU.
 */
function securityHeadersOnFastify(app: INestApplication): void {
  const always = headersSetBy(helmet(HELMET_OPTIONS));
  const overTls = { ...always, ...headersSetBy(helmet.strictTransportSecurity()) };
  (app.getHttpAdapter().getInstance() as FastifyHooks).addHook('onRequest', (request, reply, done) => {
    reply.headers(request.protocol === 'https' ? overTls : always);
    done();
  });
}

// Each platform is loaded only when chosen: loading the other as well cost a tenth of the start.
async function onExpress(module: AppModuleDefinition, settings: StandaloneSettings, options: NestApplicationOptions): Promise<INestApplication> {
  const { ExpressAdapter } = require('@nestjs/platform-express') as typeof import('@nestjs/platform-express');
  const app = await NestFactory.create<NestExpressApplication>(module, new ExpressAdapter(), { ...options, httpsOptions: settings.tls && httpsOptions(settings.tls) });
  app.set('trust proxy', settings.trustProxy);
  app.disable('x-powered-by');
  return app;
}

/**
 * `TRUST_PROXY` as Express reads it. A hop count trusts that many hops on
 * Express, and none on Fastify, so Fastify gets Express's rule as a function.
 */
function fastifyTrustProxy(trustProxy: StandaloneSettings['trustProxy']): boolean | string | ((address: string, hop: number) => boolean) {
  return typeof trustProxy === 'number' ? (_address, hop) => hop < trustProxy : trustProxy;
}

async function onFastify(module: AppModuleDefinition, settings: StandaloneSettings, options: NestApplicationOptions): Promise<INestApplication> {
  const { FastifyAdapter } = require('@nestjs/platform-fastify') as typeof import('@nestjs/platform-fastify');
  const adapter = new FastifyAdapter({
    trustProxy: fastifyTrustProxy(settings.trustProxy),
    ...(settings.tls && { https: httpsOptions(settings.tls) }),
    // Fastify routes a request before any hook could rewrite its URL: the seed's `//auth/lostPassword` is the router's to match.
    routerOptions: { ignoreDuplicateSlashes: true },
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
    .setDescription('The forgot-my-password flow: ask for a link, check it, set a new password.')
    .setVersion('1.0.0')
    .build();
  SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, info), { jsonDocumentUrl: 'docs-json', raw: ['json'] });
}

/** The standalone server, configured; `main.ts` listens on it, the e2e tests drive it. */
export async function createServer(settings: StandaloneSettings, options: ServerOptions = {}): Promise<INestApplication> {
  const module = AppModule.forSettings(settings, options.moduleOverrides);
  // No route but the module's takes a body, and the module reads its own.
  const applicationOptions = { bodyParser: false, logger: options.logger ?? ['log', 'warn', 'error', 'fatal'] } satisfies NestApplicationOptions;
  const app = settings.httpAdapter === 'fastify' ? await onFastify(module, settings, applicationOptions) : await onExpress(module, settings, applicationOptions);
  if (settings.httpAdapter === 'fastify') securityHeadersOnFastify(app);
  else app.use(helmet(HELMET_OPTIONS), strictTransportSecurityOverTls());
  serveOpenApi(app);
  return app;
}

/** On every interface, as Node's `listen(port)` does on Express; Fastify's own default is loopback only. */
export async function listenEverywhere(app: INestApplication, port: number): Promise<void> {
  await (app.getHttpAdapter().getType() === 'fastify' ? app.listen(port, '::') : app.listen(port));
}
