import {
  ArgumentsHost,
  Body,
  CallHandler,
  Catch,
  Controller,
  ExceptionFilter,
  ExecutionContext,
  INestApplication,
  Injectable,
  Module,
  NestInterceptor,
  Post,
  ValidationPipe,
  VersioningType,
} from '@nestjs/common';
import { HttpAdapterHost, NestFactory } from '@nestjs/core';
import { EventEmitterModule, OnEvent } from '@nestjs/event-emitter';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { IsString } from 'class-validator';
import { map, Observable } from 'rxjs';
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
import { hostAdapter, hostDatabase, HostSurroundings, startHostSurroundings } from '../support/host-app';
import { CapturingLogger } from '../support/harness';
import { nestedJson } from '../support/nested-json';
import { BROWSER_ACCEPT, expectPageHeaders } from '../support/pages';
import { initialised, testPlatforms } from '../support/platforms';
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
  signOutEverywhere(event: PasswordChangedEvent): void {
    this.sessions.set(event.userId, []);
  }
}

@Module({ providers: [HostAccounts], exports: [HostAccounts] })
class HostAccountsModule {}


describe.each(testPlatforms())('the module mounted into a host application (pages off) (%s)', (platform) => {
  let app: INestApplication;
  let smtp: SmtpSink;
  let surroundings: HostSurroundings;

  beforeAll(async () => {
    surroundings = await startHostSurroundings();
    smtp = surroundings.smtp;

    @Module({
      imports: [
        hostDatabase(surroundings.databaseUrl),
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

    app = await initialised(await NestFactory.create(HostAppModule, hostAdapter(platform), { logger: new CapturingLogger() }));
  });
  afterAll(async () => {
    await app.close();
    await surroundings.stop();
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

  it("refuses prototype keys, and takes the seed's //auth/lostPassword, in a host that parses bodies too", async () => {
    const res = await request(app.getHttpServer())
      .post('/auth/lostPassword')
      .type('json')
      .send('{"username":"zoe@host.example","__proto__":{"admin":true}}')
      .expect(400);
    expect(res.body).toMatchObject({ code: 'invalid_body', message: expect.stringContaining('__proto__') });
    await request(app.getHttpServer()).post('/auth/lostPassword').send({ username: 'x', constructor: { prototype: {} } }).expect(400);
    await request(app.getHttpServer()).post('//auth/lostPassword').type('form').send('username=nobody').expect(200, {});
  });

  it('serves no metrics unless asked to', async () => {
    await request(app.getHttpServer()).get('/metrics').expect(404);
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

describe.each(testPlatforms())('a host without helmet that serves the pages and sets no rate limits (%s)', (platform) => {
  let app: INestApplication;
  let smtp: SmtpSink;
  let surroundings: HostSurroundings;
  const http = () => request(app.getHttpServer());

  // A fresh host for each test: each counts its requests against the limits from zero.
  beforeEach(async () => {
    surroundings = await startHostSurroundings();
    smtp = surroundings.smtp;

    @Module({
      imports: [
        hostDatabase(surroundings.databaseUrl),
        HostAccountsModule,
        PasswordResetModule.forRootAsync({
          pages: true,
          imports: [HostAccountsModule],
          inject: [HostAccounts],
          useFactory: (accounts: HostAccounts) => ({
            userStore: accounts,
            jwtSecret: 'host-secret-host-secret-host-secret-host',
            resetUrl: 'https://host.example/account/reset',
            mail: { transport: smtp.url, from: 'accounts@host.example' },
            delivery: { pollIntervalMs: 25 },
          }),
        }),
      ],
    })
    class PagesHostModule {}

    app = await initialised(await NestFactory.create(PagesHostModule, hostAdapter(platform), { logger: new CapturingLogger() }));
  });
  afterEach(async () => {
    await app.close();
    await surroundings.stop();
  });

  it('sends every page of the flow with no referrer, no store, its CSP and no framing, from the module alone', async () => {
    const formPost = (path: string) => http().post(path).set('Accept', BROWSER_ACCEPT).type('form');
    const pages: request.Response[] = [];
    const page = async (answer: Promise<request.Response>, status: number, content: string) => {
      const res = await answer;
      expect(res.status).toBe(status);
      expect(res.text).toContain(content);
      pages.push(res);
    };

    await page(http().get('/auth/lostPassword'), 200, '<form method="post" action="lostPassword">');
    await page(formPost('/auth/lostPassword').send('username=zoe%40host.example'), 200, 'Check your mail');
    await page(formPost('/auth/lostPassword').send('username='), 400, '<form method="post" action="lostPassword">');
    await page(formPost('/auth/lostPassword').send('username=%ZZ'), 400, 'Something went wrong');
    const token = tokenFrom((await smtp.waitForMails('zoe@host.example'))[0]);
    await page(http().get('/auth/resetPassword').query({ token }), 200, `name="token" value="${token}"`);
    await page(http().get('/auth/resetPassword').query({ token: 'garbage' }), 200, 'This link no longer works');
    await page(formPost('/auth/resetPassword').send(`token=${token}&password=password123`), 400, 'id="problems"');
    await page(formPost('/auth/resetPassword').send(`token=${token}&password=${encodeURIComponent('quiet lantern orbit 1987 meadow')}`), 200, 'Your password was changed');
    await page(formPost('/auth/resetPassword').send(`token=${token}&password=${encodeURIComponent('quiet lantern orbit 1987 meadow')}`), 400, 'This link no longer works');
    for (const res of pages) expectPageHeaders(res);
  });

  it('answers the 11th lostPassword request in a minute from one address 429 with Retry-After', async () => {
    for (let i = 0; i < 10; i++) await http().post('/auth/lostPassword').send({ username: `nobody${i}` }).expect(200, {});
    const limited = await http().post('/auth/lostPassword').send({ username: 'nobody' }).expect(429);
    expect(limited.body).toEqual({ statusCode: 429, error: 'Too Many Requests', message: expect.any(String), code: 'too_many_requests' });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('answers the 31st reset in a minute from one address 429 with Retry-After', async () => {
    for (let i = 0; i < 30; i++) await http().post('/auth/resetPassword').send({ token: 'x', password: 'y' }).expect(400);
    const limited = await http().post('/auth/resetPassword').send({ token: 'x', password: 'y' }).expect(429);
    expect(limited.body).toEqual({ statusCode: 429, error: 'Too Many Requests', message: expect.any(String), code: 'too_many_requests' });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
  });
});

/** The host's own route, which needs its body parsed and validated by the host's setup. */
class NoteDto {
  @IsString()
  text: string;
}

@Controller('notes')
class HostNotesController {
  @Post()
  create(@Body() note: NoteDto): { saved: string } {
    return { saved: note.text };
  }
}

/** Wraps every answer it sees, as many hosts' response envelopes do. */
@Injectable()
class WrapInData implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(map((data) => ({ data })));
  }
}

/** Answers every error its own way, with a status no answer of the module's has. */
@Catch()
class HostErrors implements ExceptionFilter {
  constructor(private readonly adapterHost: HttpAdapterHost) {}
  catch(_exception: unknown, host: ArgumentsHost): void {
    this.adapterHost.httpAdapter.reply(host.switchToHttp().getResponse(), { hostError: true }, 418);
  }
}

const badRequest = (code: string, message: string) => ({ statusCode: 400, error: 'Bad Request', message, code });

describe.each(testPlatforms())("a host with its own global pipe, filter, interceptor, prefix and body parsing, and no EventEmitterModule (%s)", (platform) => {
  let app: INestApplication;
  let smtp: SmtpSink;
  let surroundings: HostSurroundings;
  const post = (path: string) => request(app.getHttpServer()).post(path);

  beforeAll(async () => {
    surroundings = await startHostSurroundings();
    smtp = surroundings.smtp;

    @Module({
      imports: [
        hostDatabase(surroundings.databaseUrl),
        HostAccountsModule,
        PasswordResetModule.forRootAsync({
          imports: [HostAccountsModule],
          inject: [HostAccounts],
          useFactory: (accounts: HostAccounts) => ({
            userStore: accounts,
            jwtSecret: 'host-secret-host-secret-host-secret-host',
            resetUrl: 'https://host.example/account/reset',
            mail: { transport: smtp.url, from: 'accounts@host.example' },
            rateLimit: { lostPasswordPerMinute: 0, resetPasswordPerMinute: 3 },
            delivery: { pollIntervalMs: 25 },
          }),
        }),
      ],
      controllers: [HostNotesController],
    })
    class HostAppModule {}

    // The way hosts write their e2e tests: the HTTP adapter arrives after the module was created.
    const testingModule = await Test.createTestingModule({ imports: [HostAppModule] }).setLogger(new CapturingLogger()).compile();
    app = testingModule.createNestApplication(platform === 'fastify' ? new FastifyAdapter() : new ExpressAdapter());
    app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }));
    app.useGlobalFilters(new HostErrors(app.get(HttpAdapterHost)));
    app.useGlobalInterceptors(new WrapInData());
    app.setGlobalPrefix('api');
    await initialised(app);
  });
  afterAll(async () => {
    await app.close();
    await surroundings.stop();
  });

  it("leaves the host's own route to the host's parser, pipe, interceptor and filter, with the host's limits", async () => {
    await post('/api/notes').send({ text: 'hello' }).expect(201, { data: { saved: 'hello' } });
    const long = 'x'.repeat(20_000);
    await post('/api/notes').send({ text: long }).expect(201, { data: { saved: long } });
    await post('/api/notes').send({ text: 'hello', extra: 1 }).expect(418, { hostError: true });
  });

  it('answers a good request 200 {}, unwrapped, and refuses bad input with its own codes and messages', async () => {
    const good = await post('/api/auth/lostPassword').send({ username: 'nobody' }).expect(200, {});
    expect(good.headers['content-type']).toMatch(/^application\/json/);
    await post('/api/auth/lostPassword').type('form').send('username=nobody').expect(200, {});

    await post('/api/auth/lostPassword').send({}).expect(400, badRequest('invalid_request', 'username is required'));
    await post('/api/auth/lostPassword').send({ username: 'a', admin: true }).expect(400, badRequest('invalid_request', 'property admin should not exist'));
    await post('/api/auth/lostPassword').send([]).expect(400, badRequest('invalid_request', 'username is required'));
    await post('/api/auth/lostPassword').send([{ username: 'a' }]).expect(400, badRequest('invalid_request', 'property 0 should not exist; username is required'));
    await post('/api/auth/lostPassword').send({ username: ['a'] }).expect(400, badRequest('invalid_request', 'username must be a string'));
    await post('/api/auth/resetPassword/check').send({}).expect(400, badRequest('invalid_request', 'token is required'));
  });

  it('refuses malformed bodies, prototype keys, deep nesting and bodies over 8 kB that the host would take', async () => {
    const malformed = (reason: string | RegExp) => ({ statusCode: 400, error: 'Bad Request', message: expect.stringMatching(reason), code: 'invalid_body' });
    const lostPassword = () => post('/api/auth/lostPassword');
    expect((await lostPassword().type('json').send('{"username":"a","__proto__":{"admin":true}}').expect(400)).body).toEqual(malformed(/forbidden key __proto__/));
    expect((await lostPassword().type('json').send('{"username":"a","constructor":{"prototype":{}}}').expect(400)).body).toEqual(malformed(/forbidden key constructor/));
    expect((await lostPassword().type('form').send('username=a&__proto__=x').expect(400)).body).toEqual(malformed(/forbidden key __proto__/));
    expect((await lostPassword().type('json').send('{"username":').expect(400)).body).toEqual(malformed(/^request body is malformed: /));
    expect((await lostPassword().type('form').send('username=%ZZ').expect(400)).body).toEqual(malformed(/malformed percent-encoding/));
    expect((await lostPassword().type('json').send(nestedJson(1500, 'arrays')).expect(400)).body).toEqual(malformed(/nested deeper than 2 levels/));
    expect((await lostPassword().type('form').send(`username=a&x${'[a]'.repeat(20)}=1`).expect(400)).body).toMatchObject({ code: 'invalid_request' });

    const tooLarge = { statusCode: 413, error: 'Payload Too Large', message: 'request body is larger than 8kb', code: 'payload_too_large' };
    await lostPassword().send({ username: 'a'.repeat(9000) }).expect(413, tooLarge);
    await lostPassword().type('form').send(`username=${'a'.repeat(9000)}`).expect(413, tooLarge);
    await lostPassword().type('json').send(nestedJson(100_000, 'arrays')).expect(413, tooLarge);
  });

  it("answers its rate limit, thrown before the handler, itself: 429 with Retry-After, not the host filter's answer", async () => {
    // Past the limit of 3 a minute, however many of them other tests took.
    for (let i = 0; i < 3; i++) await post('/api/auth/resetPassword/check').send({ token: 'x' });
    const limited = await post('/api/auth/resetPassword/check').send({ token: 'x' }).expect(429);
    expect(limited.body).toMatchObject({ statusCode: 429, code: 'too_many_requests' });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('resets a password without an EventEmitterModule', async () => {
    await post('/api/auth/lostPassword').send({ username: 'zoe@host.example' }).expect(200, {});
    const [mail] = await smtp.waitForMails('zoe@host.example');
    await post('/api/auth/resetPassword').send({ token: tokenFrom(mail), password: 'quiet lantern orbit 1987 meadow' }).expect(200, {});
    expect(app.get(HostAccounts).accounts.get('acct-7f3a')!.password).toBe('quiet lantern orbit 1987 meadow');
  });
});

describe.each(testPlatforms())('a host that moves the routes under a URI version (%s)', (platform) => {
  it('gets a 500 for each request to them, and the log names the cause', async () => {
    @Module({
      imports: [
        TypeOrmModule.forRoot({ type: 'better-sqlite3', database: ':memory:', entities: PASSWORD_RESET_ENTITIES, migrations: PASSWORD_RESET_MIGRATIONS, migrationsRun: true }),
        PasswordResetModule.forRoot({
          userStore: new HostAccounts(),
          jwtSecret: 'host-secret-host-secret-host-secret-host',
          resetUrl: 'https://host.example/account/reset',
          mail: { transport: { jsonTransport: true }, from: 'accounts@host.example' },
        }),
      ],
    })
    class VersionedHostModule {}
    const logs = new CapturingLogger();
    const app = await NestFactory.create(VersionedHostModule, hostAdapter(platform), { logger: logs });
    app.enableVersioning({ type: VersioningType.URI, defaultVersion: '1' });
    await initialised(app);
    try {
      const res = await request(app.getHttpServer()).post('/v1/auth/lostPassword').send({ username: 'zoe' }).expect(500);
      expect(res.body.code).toBe('internal_error');
      expect(logs.lines.join('\n')).toMatch(/read no body for this request: its routes must be at \/auth\/… under the global prefix/);
    } finally {
      await app.close();
    }
  });
});

describe('the module refuses a configuration that would be unsafe', () => {
  const attempt = (overrides: Record<string, unknown>) =>
    NestFactory.createApplicationContext(
      (() => {
        @Module({
          imports: [
            TypeOrmModule.forRoot({ type: 'better-sqlite3', database: ':memory:', entities: PASSWORD_RESET_ENTITIES, migrations: PASSWORD_RESET_MIGRATIONS, migrationsRun: true }),
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

  it('such as a JWT secret shorter than 32 characters, or a reset URL or breached-password service that is not http(s)', async () => {
    await expect(attempt({ jwtSecret: 'short' })).rejects.toThrow(/jwtSecret must be at least 32 characters/);
    await expect(attempt({ resetUrl: 'javascript:alert(1)' })).rejects.toThrow(/resetUrl must be an http\(s\) URL/);
    await expect(attempt({ passwordPolicy: { breached: { rangeUrl: 'file:///etc/passwd' } } })).rejects.toThrow(/passwordPolicy\.breached\.rangeUrl must be an http\(s\) URL/);
    // Without HTTP, too: no hook of the module's fails, then or a moment later.
    const context = await attempt({});
    await new Promise((resolve) => setTimeout(resolve, 50));
    await context.close();
  });
});
