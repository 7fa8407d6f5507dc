import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { EventEmitter2 } from '@nestjs/event-emitter';
import request from 'supertest';
import {
  PasswordResetError,
  PasswordResetEvents,
  PasswordResetService,
  type PasswordChangedEvent,
  type PasswordResetRequestedEvent,
} from '../../src/index';
import { OutboxMail } from '../../src/password-reset/mail/outbox-mail.entity';
import { testPlatformsAndDatabases } from '../support/platforms';
import { newUser, requestToken } from '../support/flow';
import { startTestServer, TestServer } from '../support/harness';
import { claimsOf, signLink } from '../support/reset-links';
import { tokenFrom } from '../support/smtp-sink';

const NEW_PASSWORD = 'quiet lantern orbit 1987 meadow';
const HOUR_MS = 60 * 60 * 1000;
const ROOT = resolve(__dirname, '..', '..');

/**
 * The built users CLI, as `npm run users` runs it, on the given database. Run
 * asynchronously: the server under test lives in this process, and a
 * synchronous child would freeze its worker mid-transaction, holding the locks
 * the CLI waits for.
 */
function usersCli(
  databaseUrl: string,
  ...args: string[]
): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((done) =>
    execFile(
      process.execPath,
      [join(ROOT, 'dist', 'src', 'standalone', 'cli', 'users.js'), ...args],
      {
        encoding: 'utf8',
        env: { PATH: process.env.PATH, DATABASE_URL: databaseUrl },
      },
      (error, stdout, stderr) =>
        done({
          status: error
            ? typeof error.code === 'number'
              ? error.code
              : -1
            : 0,
          stdout,
          stderr,
        }),
    ),
  );
}

describe.each(testPlatformsAndDatabases())(
  'sendPasswordLink: invitations and operator-sent links (%s, %s)',
  (platform, databaseKind) => {
    let server: TestServer;
    let databaseUrl: string;
    let passwordReset: PasswordResetService;
    const changes: PasswordChangedEvent[] = [];
    const requests: PasswordResetRequestedEvent[] = [];

    beforeAll(async () => {
      server = await startTestServer(platform, databaseKind, {
        env: { RETURN_URLS: 'https://app.example.test' },
        // An invitation queued by the CLI before the server starts is sent once it has.
        routeDatabase: async (url) => {
          databaseUrl = url;
          const added = await usersCli(
            url,
            'add',
            '--username',
            'early',
            '--email',
            'early@example.com',
            '--invite',
          );
          expect(added.stderr).toBe('');
          expect(added.status).toBe(0);
          return url;
        },
      });
      passwordReset = server.app.get(PasswordResetService);
      const events = server.app.get(EventEmitter2);
      events.on(
        PasswordResetEvents.passwordChanged,
        (event: PasswordChangedEvent) => changes.push(event),
      );
      events.on(
        PasswordResetEvents.requested,
        (event: PasswordResetRequestedEvent) => requests.push(event),
      );
    });
    afterAll(() => server.close());

    const idOf = async (username: string) =>
      (await server.users.idOf(username))!;
    const check = (token: string) =>
      request(server.http).post('/auth/resetPassword/check').send({ token });

    it('mails an invitation with its own subject and wording, living inviteTtl (72 h), which sets a first password', async () => {
      const user = await newUser(server);
      const userId = await idOf(user.username);
      const before = server.clock.now();
      await passwordReset.sendPasswordLink(userId, { purpose: 'invite' });
      const [mail] = await server.smtp.waitForMails(user.email);
      expect(mail.parsed.subject).toBe('Set your password for your account');
      expect(mail.parsed.text).toContain('You were invited to your account.');
      expect(mail.parsed.text).toContain(
        '\nThe link works once and expires in 72 hours.\n',
      );
      const token = tokenFrom(mail);
      const claims = claimsOf(token);
      expect(claims.purpose).toBe('password-invite');
      expect(claims.exp * 1000).toBeGreaterThanOrEqual(
        before + 72 * HOUR_MS - 1000,
      );
      expect(claims.exp * 1000).toBeLessThanOrEqual(
        server.clock.now() + 72 * HOUR_MS,
      );

      const status = await check(token).expect(200);
      expect(status.body).toEqual({
        usable: true,
        expiresAt: expect.any(String),
        purpose: 'invite',
      });
      const page = await request(server.http)
        .get('/auth/resetPassword')
        .query({ token })
        .expect(200);
      expect(page.text).toContain('<title>Set your password');
      expect(page.text).toContain('Set my password</button>');

      // A password the policy refuses: the invitation's form again, with its own wording.
      const refused = await request(server.http)
        .post('/auth/resetPassword')
        .set('Accept', 'text/html')
        .type('form')
        .send({ token, password: 'short' })
        .expect(400);
      expect(refused.text).toContain('<title>Set your password');
      expect(refused.text).toContain('Set my password</button>');

      // Still usable after a reset link would have expired.
      server.clock.advance(2 * HOUR_MS);
      const done = await request(server.http)
        .post('/auth/resetPassword')
        .set('Accept', 'text/html')
        .type('form')
        .send({ token, password: NEW_PASSWORD })
        .expect(200);
      expect(done.text).toContain('<title>Password set');
      expect(done.text).toContain('Your password was set.');
      expect(await server.users.verify(user.username, NEW_PASSWORD)).toBe(true);
      expect(changes.at(-1)).toEqual(
        expect.objectContaining({ userId, via: 'invite' }),
      );
      await check(token).expect(400);
    });

    it('emits the requested event with the purpose, as a sent link', async () => {
      const user = await newUser(server);
      const userId = await idOf(user.username);
      await passwordReset.sendPasswordLink(userId, { purpose: 'invite' });
      await passwordReset.sendPasswordLink(userId);
      await server.smtp.waitForMails(user.email, 2);
      expect(
        requests
          .filter((event) => event.userId === userId)
          .map(({ purpose, requestedBy }) => [purpose, requestedBy]),
      ).toEqual([
        ['invite', 'operator'],
        ['reset', 'operator'],
      ]);
    });

    it('carries a checked returnTo in an invitation too, and answers it after the password is set', async () => {
      const user = await newUser(server);
      const userId = await idOf(user.username);
      await expect(
        passwordReset.sendPasswordLink(userId, {
          purpose: 'invite',
          returnTo: 'https://app.example.test.evil.example.net/',
        }),
      ).rejects.toMatchObject({
        code: 'invalid_request',
        message:
          'returnTo must be an absolute http(s) URL on the list of allowed return addresses',
      });
      await passwordReset.sendPasswordLink(userId, {
        purpose: 'invite',
        returnTo: 'https://APP.example.test/welcome',
      });
      const [mail] = await server.smtp.waitForMails(user.email);
      const done = await request(server.http)
        .post('/auth/resetPassword')
        .set('Accept', 'text/html')
        .type('form')
        .send({ token: tokenFrom(mail), password: NEW_PASSWORD })
        .expect(200);
      expect(done.text).toContain('Your password was set.');
      expect(done.text).toContain(
        '<a id="continue" href="https://app.example.test/welcome">Continue</a>',
      );
    });

    it('sends a reset link of the lifetime given', async () => {
      const user = await newUser(server);
      await passwordReset.sendPasswordLink(await idOf(user.username), {
        ttl: '5h',
      });
      const [mail] = await server.smtp.waitForMails(user.email);
      expect(mail.parsed.subject).toBe('Reset your password for your account');
      expect(mail.parsed.text).toContain('expires in 5 hours.');
      const claims = claimsOf(tokenFrom(mail));
      expect(claims.purpose).toBe('password-reset');
      expect(claims.exp - claims.iat).toBe(5 * 60 * 60);
    });

    it('keeps one live link per user: an invitation and a reset link supersede each other', async () => {
      const user = await newUser(server);
      const userId = await idOf(user.username);
      await passwordReset.sendPasswordLink(userId, { purpose: 'invite' });
      const invitation = tokenFrom(
        (await server.smtp.waitForMails(user.email, 1))[0],
      );
      const reset = await requestToken(server, user.username, user.email);
      await check(invitation).expect(400);
      await check(reset).expect(200);
      await passwordReset.sendPasswordLink(userId, { purpose: 'invite' });
      const second = tokenFrom(
        (await server.smtp.waitForMails(user.email, 3))[2],
      );
      await check(reset).expect(400);
      expect((await check(second).expect(200)).body.purpose).toBe('invite');
    });

    it('refuses a link whose signed purpose is not its own, so none is replayed as the other', async () => {
      const user = await newUser(server);
      const userId = await idOf(user.username);
      await passwordReset.sendPasswordLink(userId, { purpose: 'invite' });
      const invitation = tokenFrom(
        (await server.smtp.waitForMails(user.email, 1))[0],
      );
      const asReset = await signLink({
        ...claimsOf(invitation),
        purpose: 'password-reset',
      });
      await check(asReset).expect(400);
      await request(server.http)
        .post('/auth/resetPassword')
        .send({ token: asReset, password: NEW_PASSWORD })
        .expect(400);
      await check(invitation).expect(200);

      const reset = await requestToken(server, user.username, user.email);
      await check(
        await signLink({ ...claimsOf(reset), purpose: 'password-invite' }),
      ).expect(400);
      await check(reset).expect(200);
    });

    it('refuses an unknown user, purpose or lifetime with a PasswordResetError, queuing nothing', async () => {
      const queued = () => server.dataSource.getRepository(OutboxMail).count();
      const before = await queued();
      await expect(
        passwordReset.sendPasswordLink('999999999'),
      ).rejects.toMatchObject({
        name: 'PasswordResetError',
        code: 'unknown_user',
        message: 'there is no user 999999999',
      });
      const userId = await idOf((await newUser(server)).username);
      await expect(
        passwordReset.sendPasswordLink(userId, { purpose: 'admin' as never }),
      ).rejects.toMatchObject({ code: 'invalid_request' });
      for (const ttl of ['soon', 0, -5, '0s'])
        await expect(
          passwordReset.sendPasswordLink(userId, { ttl }),
        ).rejects.toMatchObject({ code: 'invalid_request' });
      expect(await queued()).toBe(before);
    });

    it('counts against the per-account limit and, over it, refuses saying when the next may go, queuing nothing', async () => {
      const user = await newUser(server);
      const userId = await idOf(user.username);
      // The oldest of the three mails is the requested one: a place frees an hour after it was queued.
      const first = server.clock.now();
      await requestToken(server, user.username, user.email);
      await passwordReset.sendPasswordLink(userId, { purpose: 'invite' });
      await passwordReset.sendPasswordLink(userId);
      const mailsOf = () =>
        server.dataSource.getRepository(OutboxMail).countBy({ userId });
      const error = await passwordReset
        .sendPasswordLink(userId, { purpose: 'invite' })
        .catch((refusal: unknown) => refusal);
      expect(error).toBeInstanceOf(PasswordResetError);
      expect(error).toMatchObject({ code: 'account_limit' });
      const nextAt = Date.parse(
        /after (\S+)$/.exec((error as Error).message)![1],
      );
      expect(nextAt).toBeGreaterThanOrEqual(first + HOUR_MS);
      expect(nextAt).toBeLessThanOrEqual(server.clock.now() + HOUR_MS);
      expect(await mailsOf()).toBe(3);

      // The operator's command while the server is still sending the user's mails.
      const cli = await usersCli(
        databaseUrl,
        'send-link',
        '--username',
        user.username,
      );
      expect(cli.status).toBe(1);
      expect(cli.stderr).toMatch(
        new RegExp(
          `^no reset link queued for ${user.username}: this account has had the 3 reset mails the per-account limit allows; the next may be sent after \\S+Z\\n$`,
        ),
      );
      expect(await mailsOf()).toBe(3);
    });

    it('has the CLI queue a link or an invitation for an existing user, which the server sends', async () => {
      const user = await newUser(server);
      const sent = await usersCli(
        databaseUrl,
        'send-link',
        '--username',
        user.username,
        '--invite',
      );
      expect(sent.stdout).toBe(
        `invitation queued for ${user.username}; the server mails it\n`,
      );
      expect(sent.status).toBe(0);
      const [mail] = await server.smtp.waitForMails(user.email);
      expect(mail.parsed.subject).toBe('Set your password for your account');
      expect(
        (await usersCli(databaseUrl, 'send-link', '--username', user.username))
          .stdout,
      ).toBe(`reset link queued for ${user.username}; the server mails it\n`);
      const mails = await server.smtp.waitForMails(user.email, 2);
      expect(claimsOf(tokenFrom(mails[1])).purpose).toBe('password-reset');
    });

    it('has the CLI refuse an unknown user in one sentence, exit 1', async () => {
      const result = await usersCli(
        databaseUrl,
        'send-link',
        '--username',
        'nobody',
      );
      expect(result).toMatchObject({
        status: 1,
        stdout: '',
        stderr: 'no user nobody\n',
      });
    });

    it('sends the invitation the CLI queued before the server ran; the invited user has no usable password until it is used', async () => {
      const [mail] = await server.smtp.waitForMails('early@example.com');
      expect(mail.parsed.subject).toBe('Set your password for your account');
      const verify = (password: string) =>
        usersCli(
          databaseUrl,
          'verify',
          '--username',
          'early',
          '--password',
          password,
        );
      for (const guess of ['', '!', 'correct horse battery staple'])
        expect(await verify(guess)).toMatchObject({
          status: 1,
          stdout: 'password does not match\n',
        });
      await request(server.http)
        .post('/auth/resetPassword')
        .send({ token: tokenFrom(mail), password: NEW_PASSWORD })
        .expect(200, {});
      expect(await verify(NEW_PASSWORD)).toMatchObject({ status: 0 });
    });
  },
);
