import { LoggerService, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import helmet from 'helmet';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module';
import type { StandaloneSettings } from './config/standalone-settings';
import type { PasswordResetModuleOptions } from './password-reset/interfaces/password-reset-module-options.interface';

export interface ServerOptions {
  moduleOverrides?: Partial<PasswordResetModuleOptions>;
  logger?: LoggerService | LogLevel[];
}

/** The standalone server, configured; `main.ts` listens on it, the e2e tests drive it. */
export async function createServer(settings: StandaloneSettings, options: ServerOptions = {}): Promise<NestExpressApplication> {
  // The module parses its own bodies, with its own limits.
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forSettings(settings, options.moduleOverrides), {
    bodyParser: false,
    logger: options.logger ?? ['log', 'warn', 'error', 'fatal'],
  });
  app.set('trust proxy', settings.trustProxy);
  app.disable('x-powered-by');
  app.use(helmet());
  return app;
}
