import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { standaloneSettings } from './config/standalone-settings';
import { createServer } from './server';

async function main(): Promise<void> {
  const settings = standaloneSettings();
  const app = await createServer(settings);
  app.enableShutdownHooks();
  await app.listen(settings.port);
  Logger.log(`Listening on port ${settings.port} (${settings.tls ? 'HTTPS' : 'HTTP'})`, 'PasswordResetServer');
}

main().catch((error: Error) => {
  Logger.error(error.message, 'PasswordResetServer');
  process.exit(1);
});
