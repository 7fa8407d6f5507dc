import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventEmitterModule, OnEvent } from '@nestjs/event-emitter';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { TypeOrmModule } from '@nestjs/typeorm';
import request from 'supertest';
import {
  normaliseIdentifier,
  PASSWORD_RESET_ENTITIES,
  PASSWORD_RESET_MIGRATIONS,
  PasswordResetEvents,
  PasswordResetModule,
  PasswordResetService,
  PasswordResetUser,
  PasswordResetUserStore,
  PasswordChangedEvent,
} from '../../src';
import { createTestDatabase } from '../support/databases';
import { CapturingLogger } from '../support/harness';
import { SmtpSink, tokenFrom } from '../support/smtp-sink';

/** A host application's own accounts and sessions, with string ids. */
@Injectable()
class HostAccounts implements PasswordResetUserStore {
  readonly accounts = new Map<string, { handle: string; email: string; password: string }>([
    ['acct-7f3a', { handle: 'Zoë', email: 'zoe@host.example', password: 'old password of zoe' }],
  ]);
  readonly sessions = new Map<string, string[]>([['acct-7f3a', ['session-1', 'session-2']]]);
  /** The host's database failing at the worst moment. */
  failNextSetPassword = false;

  async findByIdentifier(identifier: string): Promise<PasswordResetUser | null> {
    for (const [id, account] of this.accounts) {
      if (normaliseIdentifier(account.handle) === identifier || account.email === identifier) return { id, email: account.email, username: account.handle };
    }
    return null;
  }

  async findById(id: string): Promise<PasswordResetUser | null> {
    const account = this.accounts.get(id);
    return account ? { id, email: account.email, username: account.handle } : null;
  }

  async setPassword(id: string, newPassword: string): Promise<void> {
    if (this.failNextSetPassword) {
      this.failNextSetPassword = false;
      throw new Error('host database unavailable');
    }
    this.accounts.get(id)!.password = newPassword;
  }

  @OnEvent(PasswordResetEvents.passwordChanged)
  endSessions(event: PasswordChangedEvent): void {
    this.sessions.set(event.userId, []);
  }
}

@Module({ providers: [HostAccounts], exports: [HostAccounts] })
class HostAccountsModule {}

describe('the module mounted into a host application (pages off)', () => {
  let app: NestExpressApplication;
  let smtp: SmtpSink;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const database = await createTestDatabase('sqlite');
    drop = database.drop;
    smtp = await new SmtpSink().start();

    @Module({
      imports: [
        TypeOrmModule.forRoot({
          type: 'better-sqlite3',
          database: database.url.slice('sqlite:'.length),
          entities: PASSWORD_RESET_ENTITIES,
          migrations: PASSWORD_RESET_MIGRATIONS,
          migrationsRun: true,
        }),
        EventEmitterModule.forRoot(),
        HostAccountsModule,
        PasswordResetModule.forRootAsync({
          imports: [HostAccountsModule],
          inject: [HostAccounts],
          useFactory: (accounts: HostAccounts) => ({
            userStore: accounts,
            jwtSecret: 'host-secret-host-secret-host-secret-host',
            resetUrl: 'https://host.example/account/reset',
            mail: { transport: smtp.url, from: 'accounts@host.example', productName: 'Host' },
            delivery: { pollIntervalMs: 25 },
          }),
        }),
      ],
    })
    class HostAppModule {}

    app = await NestFactory.create<NestExpressApplication>(HostAppModule, { logger: new CapturingLogger() });
    await app.init();
  });
  afterAll(async () => {
    await app.close();
    await smtp.stop();
    await drop();
  });

  /** Asks for a reset and returns the token of the reset mail it brings (notices may arrive in between). */
  async function newResetToken(): Promise<string> {
    const resetMails = () => smtp.mailsTo('zoe@host.example').filter((mail) => mail.parsed.subject?.startsWith('Reset'));
    const before = resetMails().length;
    await request(app.getHttpServer()).post('/auth/lostPassword').send({ username: 'zoe@host.example' }).expect(200);
    while (resetMails().length === before) await new Promise((resolve) => setTimeout(resolve, 20));
    return tokenFrom(resetMails()[before]);
  }

  it('runs the flow against the host store, with its link, and the host ends the sessions on the event', async () => {
    const accounts = app.get(HostAccounts);
    await request(app.getHttpServer()).post('/auth/lostPassword').send({ username: 'Zoe\u0308' }).expect(200, {});
    const [mail] = await smtp.waitForMails('zoe@host.example');
    expect(mail.parsed.subject).toBe('Reset your password for Host');
    expect(mail.parsed.text).toContain('https://host.example/account/reset?token=');

    await request(app.getHttpServer())
      .post('/auth/resetPassword')
      .send({ token: tokenFrom(mail), password: 'quiet lantern orbit 1987 meadow' })
      .expect(200, {});
    expect(accounts.accounts.get('acct-7f3a')!.password).toBe('quiet lantern orbit 1987 meadow');
    expect(accounts.sessions.get('acct-7f3a')).toEqual([]);
  });

  it('gives the link back when the host cannot store the password, so the user can simply retry', async () => {
    const accounts = app.get(HostAccounts);
    const token = await newResetToken();
    accounts.failNextSetPassword = true;
    const failed = await request(app.getHttpServer()).post('/auth/resetPassword').send({ token, password: 'second quiet lantern orbit 2024' }).expect(503);
    expect(failed.body.code).toBe('unavailable');
    expect(accounts.accounts.get('acct-7f3a')!.password).toBe('quiet lantern orbit 1987 meadow');
    await request(app.getHttpServer()).post('/auth/resetPassword').send({ token, password: 'second quiet lantern orbit 2024' }).expect(200, {});
    expect(accounts.accounts.get('acct-7f3a')!.password).toBe('second quiet lantern orbit 2024');
  });

  it("refuses prototype keys also in bodies the host's own parser read", async () => {
    const res = await request(app.getHttpServer())
      .post('/auth/lostPassword')
      .type('json')
      .send('{"username":"zoe@host.example","__proto__":{"admin":true}}')
      .expect(400);
    expect(res.body).toMatchObject({ code: 'invalid_body', message: expect.stringContaining('__proto__') });
    await request(app.getHttpServer()).post('/auth/lostPassword').send({ username: 'x', constructor: { prototype: {} } }).expect(400);
  });

  it('serves no pages unless asked to', async () => {
    await request(app.getHttpServer()).get('/auth/resetPassword?token=x').expect(404);
    await request(app.getHttpServer()).get('/auth/lostPassword').expect(404);
  });

  it('exports PasswordResetService for passwords the host changes itself', async () => {
    const token = await newResetToken();
    await app.get(PasswordResetService).revokeTokensOf('acct-7f3a');
    const res = await request(app.getHttpServer()).post('/auth/resetPassword/check').send({ token }).expect(400);
    expect(res.body.code).toBe('invalid_token');
  });
});

describe('the module refuses a configuration that would be unsafe', () => {
  const attempt = (overrides: Record<string, unknown>) =>
    NestFactory.createApplicationContext(
      (() => {
        @Module({
          imports: [
            TypeOrmModule.forRoot({ type: 'better-sqlite3', database: ':memory:', entities: PASSWORD_RESET_ENTITIES }),
            EventEmitterModule.forRoot(),
            PasswordResetModule.forRoot({
              userStore: new HostAccounts(),
              jwtSecret: 'host-secret-host-secret-host-secret-host',
              resetUrl: 'https://host.example/account/reset',
              mail: { transport: { jsonTransport: true }, from: 'accounts@host.example' },
              ...overrides,
            }),
          ],
        })
        class UnsafeHostModule {}
        return UnsafeHostModule;
      })(),
      { logger: false, abortOnError: false },
    );

  it('such as a JWT secret shorter than 32 characters, or a reset URL that is not http(s)', async () => {
    await expect(attempt({ jwtSecret: 'short' })).rejects.toThrow(/jwtSecret must be at least 32 characters/);
    await expect(attempt({ resetUrl: 'javascript:alert(1)' })).rejects.toThrow(/resetUrl must be an http\(s\) URL/);
    const context = await attempt({});
    await context.close();
  });
});
