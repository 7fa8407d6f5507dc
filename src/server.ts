import { readFileSync } from 'node:fs';
import type { ServerOptions as HttpsServerOptions } from 'node:https';
import { LoggerService, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module';
import type { StandaloneSettings, TlsFiles } from './config/standalone-settings';
import type { PasswordResetModuleOptions } from './password-reset/interfaces/password-reset-module-options.interface';

export interface ServerOptions {
  moduleOverrides?: Partial<PasswordResetModuleOptions>;
  logger?: LoggerService | LogLevel[];
}

// Typed by Node's options, as Nest's HttpsOptions lacks minVersion; Nest hands them to https.createServer as they are.
function httpsOptions({ certFile, keyFile }: TlsFiles): Pick<HttpsServerOptions, 'cert' | 'key' | 'minVersion'> {
  return { cert: readFileSync(certFile), key: readFileSync(keyFile), minVersion: 'TLSv1.2' };
}

/**
 * HSTS only where the browser got the response over TLS: our own, or a trusted
 * proxy's (`TRUST_PROXY` and `X-Forwarded-Proto: https`). RFC 6797 §7.2 forbids it
 * over plain HTTP, where browsers ignore it anyway.
 */
function strictTransportSecurityOverTls(): (request: Request, response: Response, next: NextFunction) => void {
  const strictTransportSecurity = helmet.strictTransportSecurity();
  return (request, response, next) => (request.secure ? strictTransportSecurity(request, response, next) : next());
}

/** The standalone server, configured; `main.ts` listens on it, the e2e tests drive it. */
export async function createServer(settings: StandaloneSettings, options: ServerOptions = {}): Promise<NestExpressApplication> {
  // The module parses its own bodies, with its own limits.
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forSettings(settings, options.moduleOverrides), {
    bodyParser: false,
    logger: options.logger ?? ['log', 'warn', 'error', 'fatal'],
    httpsOptions: settings.tls && httpsOptions(settings.tls),
  });
  app.set('trust proxy', settings.trustProxy);
  app.disable('x-powered-by');
  app.use(helmet({ strictTransportSecurity: false }));
  app.use(strictTransportSecurityOverTls());
  return app;
}
