import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { standaloneSettings } from './config/standalone-settings';
import { createServer, listenEverywhere } from './server';

async function main(): Promise<void> {
  const settings = standaloneSettings();
  const app = await createServer(settings);
  app.enableShutdownHooks();
  await listenEverywhere(app, settings.port);
  Logger.log(
    `Listening on port ${settings.port} (${settings.tls ? 'HTTPS' : 'HTTP'}, ${settings.httpAdapter})`,
    'PasswordResetServer',
  );
}

main().catch((error: Error) => {
  Logger.error(error.message, 'PasswordResetServer');
  process.exit(1);
});
