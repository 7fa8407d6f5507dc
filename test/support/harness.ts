import type { INestApplication, LoggerService } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Clock } from '../../src/password-reset/clock';
import { standaloneSettings } from '../../src/standalone/config/standalone-settings';
import type { PasswordResetModuleOptions } from '../../src/password-reset/interfaces/password-reset-module-options.interface';
import { createServer } from '../../src/standalone/server';
import { UsersService } from '../../src/standalone/users/users.service';
import { createTestDatabase } from './databases';
import { initialised, TestPlatform } from './platforms';
import { settled } from './settled';
import { SmtpSink } from './smtp-sink';

/** Real time plus an offset that tests move forward instead of sleeping. */
export class TestClock implements Clock {
  private offset = 0;
  now(): number {
    return Date.now() + this.offset;
  }
  advance(ms: number): void {
    this.offset += ms;
  }
}

/** Keeps every line the server logs, at every level, so tests can look for secrets in them. */
export class CapturingLogger implements LoggerService {
  readonly lines: string[] = [];
  private keep =
    (level: string) =>
    (message: unknown, ...rest: unknown[]) => {
      this.lines.push(
        [level, message, ...rest]
          .map((part) =>
            typeof part === 'string' ? part : JSON.stringify(part),
          )
          .join(' '),
      );
      if (level === 'error' && process.env.TEST_SHOW_ERRORS)
        console.error(message, ...rest);
    };
  log = this.keep('log');
  error = this.keep('error');
  warn = this.keep('warn');
  debug = this.keep('debug');
  verbose = this.keep('verbose');
  fatal = this.keep('fatal');
}

export const TEST_RESET_URL = 'https://reset.example.test/auth/resetPassword';
/** The test server's signing secret, with which tests make links the server takes as its own. */
export const TEST_JWT_SECRET =
  'test-secret-that-is-long-enough-for-hs256-signing';

export interface TestServer {
  app: INestApplication;
  http: ReturnType<INestApplication['getHttpServer']>;
  smtp: SmtpSink;
  clock: TestClock;
  dataSource: DataSource;
  users: UsersService;
  logs: CapturingLogger;
  /** Waits until every recorded request is processed and every queued mail delivered. */
  settle(): Promise<void>;
  close(): Promise<void>;
}

/** The standalone server on the given platform and a fresh database of the given kind, mailing a real SMTP server on loopback. */
export async function startTestServer(
  platform: TestPlatform,
  databaseKind: string,
  options: {
    env?: Record<string, string>;
    moduleOverrides?: Partial<PasswordResetModuleOptions>;
    /** The URL the server is to use for the fresh database, such as the same database through a proxy. */
    routeDatabase?: (databaseUrl: string) => Promise<string>;
    /** The URL the server is to use for the SMTP server, such as the same server through a proxy. */
    routeSmtp?: (smtpUrl: string) => Promise<string>;
  } = {},
): Promise<TestServer> {
  const database = await createTestDatabase(databaseKind);
  const smtp = await new SmtpSink().start();
  const clock = new TestClock();
  const settings = standaloneSettings({
    HTTP_ADAPTER: platform,
    DATABASE_URL: options.routeDatabase
      ? await options.routeDatabase(database.url)
      : database.url,
    SMTP_URL: options.routeSmtp ? await options.routeSmtp(smtp.url) : smtp.url,
    JWT_SECRET: TEST_JWT_SECRET,
    RESET_URL: TEST_RESET_URL,
    // Suites that test the per-IP limits switch them on; the others send many requests from one address.
    IP_RATE_LIMIT: '0',
    RESET_IP_RATE_LIMIT: '0',
    ...options.env,
  });
  const logs = new CapturingLogger();
  const app = await createServer(settings, {
    logger: logs,
    moduleOverrides: {
      clock,
      delivery: {
        pollIntervalMs: 25,
        retryBaseMs: 100,
        retryMaxMs: 400,
        maxAttempts: 50,
      },
      ...options.moduleOverrides,
    },
  });
  await initialised(app);
  const dataSource = app.get(DataSource);
  return {
    app,
    http: app.getHttpServer(),
    smtp,
    clock,
    dataSource,
    users: app.get(UsersService),
    logs,
    settle: () => settled(dataSource),
    close: async () => {
      await app.close();
      await smtp.stop();
      await database.drop();
    },
  };
}
