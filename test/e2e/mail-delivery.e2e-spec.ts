import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import request from 'supertest';
import { PASSWORD_RESET_DEFAULTS } from '../../src/password-reset/options/password-reset-defaults';
import {
  OutboxMail,
  PRIORITY_OF,
} from '../../src/password-reset/mail/outbox-mail.entity';
import { PasswordResetWorker } from '../../src/password-reset/mail/password-reset.worker';
import { User } from '../../src/standalone/users/user.entity';
import { testDatabases } from '../support/databases';
import { newUser, requestToken } from '../support/flow';
import { startTestServer, TestServer } from '../support/harness';
import { ReceivedMail, tokenFrom } from '../support/smtp-sink';
import { ServerProcess } from '../support/server-process';

// Retries of delivery are the subject, not HTTP: Express only.
describe.each(testDatabases())(
  'mail delivery when SMTP is down (%s)',
  (databaseKind) => {
    let server: TestServer;

    beforeAll(async () => {
      server = await startTestServer('express', databaseKind);
      await server.users.add(
        'carol',
        'carol@example.com',
        'correct horse battery staple',
      );
    });
    afterAll(() => server.close());

    it('accepts the request, retries with backoff, and delivers exactly once when SMTP comes back', async () => {
      await server.smtp.stop();
      await request(server.http)
        .post('/auth/lostPassword')
        .send({ username: 'carol' })
        .expect(200, {});

      // Wait until at least two attempts have failed, so the retry path is what delivers it.
      for (;;) {
        const [row] = await server.dataSource.query(
          'SELECT attempts, status, last_error FROM password_reset_outbox',
        );
        if (row && Number(row.attempts) >= 2) {
          expect(['pending', 'sending']).toContain(row.status);
          expect(row.last_error).toMatch(/ECONNREFUSED|connect/i);
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }

      await server.smtp.start();
      await server.settle();
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(server.smtp.mailsTo('carol@example.com')).toHaveLength(1);
      const [row] = await server.dataSource.query(
        'SELECT status FROM password_reset_outbox',
      );
      expect(row.status).toBe('sent');
      // Only the token of the delivered mail is live; those of failed attempts were revoked.
      const live = await server.dataSource.query(
        'SELECT id FROM password_reset_tokens WHERE used_at IS NULL AND revoked_at IS NULL',
      );
      expect(live).toHaveLength(1);
    });

    it('gives up after the last attempt and leaves the mail dead, not silently dropped', async () => {
      await server.close();
      server = await startTestServer('express', databaseKind, {
        moduleOverrides: {
          delivery: {
            pollIntervalMs: 25,
            retryBaseMs: 10,
            retryMaxMs: 20,
            maxAttempts: 3,
          },
        },
      });
      await server.users.add(
        'dave',
        'dave@example.com',
        'correct horse battery staple',
      );
      await server.smtp.stop();
      await request(server.http)
        .post('/auth/lostPassword')
        .send({ username: 'dave' })
        .expect(200);
      for (;;) {
        const [row] = await server.dataSource.query(
          'SELECT attempts, status FROM password_reset_outbox',
        );
        if (row?.status === 'dead') {
          expect(Number(row.attempts)).toBe(3);
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    });
  },
);

describe.each(testDatabases())(
  "one user's reset mails (%s)",
  (databaseKind) => {
    let server: TestServer;

    beforeAll(async () => {
      // The worker's timer never fires during the test: the test starts the worker's pass itself, once every request is recorded.
      server = await startTestServer('express', databaseKind, {
        moduleOverrides: { delivery: { pollIntervalMs: 60 * 60 * 1000 } },
      });
    });
    afterAll(() => server.close());

    it('go out one after another, so the last to arrive carries the one live link, even when the first is slow to arrive', async () => {
      const user = await newUser(server);
      server.smtp.holdFirstMailTo.set(user.email, 500);
      const asked = PASSWORD_RESET_DEFAULTS.accountLimit.max;
      await Promise.all(
        Array.from({ length: asked }, () =>
          request(server.http)
            .post('/auth/lostPassword')
            .send({ username: user.username })
            .expect(200, {}),
        ),
      );
      server.app.get(PasswordResetWorker).wake();
      const mails = await server.smtp.waitForMails(user.email, asked, 30_000);
      const usable: number[] = [];
      for (const mail of mails)
        usable.push(
          (
            await request(server.http)
              .post('/auth/resetPassword/check')
              .send({ token: tokenFrom(mail) })
          ).status,
        );
      expect(usable).toEqual([...Array(asked - 1).fill(400), 200]);
    });
  },
);

describe.each(testDatabases())(
  'a reset mail asked for before the password changed (%s)',
  (databaseKind) => {
    let server: TestServer;

    beforeAll(async () => {
      // A failed attempt waits a minute of the test's clock, which the test moves on itself.
      server = await startTestServer('express', databaseKind, {
        moduleOverrides: {
          delivery: { retryBaseMs: 60_000, retryMaxMs: 60_000 },
        },
      });
    });
    afterAll(() => server.close());

    const statusOf = async (id: number) =>
      (await server.dataSource.getRepository(OutboxMail).findOneBy({ id }))
        ?.status;

    it('is dropped unsent when its retry comes after a reset, so no link made after the change answers a request made before it', async () => {
      const user = await newUser(server);
      server.smtp.refuseFor.add(user.email);
      await request(server.http)
        .post('/auth/lostPassword')
        .send({ username: user.username })
        .expect(200, {});
      const outbox = server.dataSource.getRepository(OutboxMail);
      let failed: OutboxMail | null = null;
      while (!failed) {
        failed = await outbox.findOne({
          where: { kind: 'reset-password', status: 'pending' },
          order: { id: 'DESC' },
        });
        if (failed && failed.attempts === 0) failed = null;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      server.smtp.refuseFor.delete(user.email);

      const token = await requestToken(server, user.username, user.email);
      await request(server.http)
        .post('/auth/resetPassword')
        .send({ token, password: 'quiet lantern orbit 1987 meadow' })
        .expect(200, {});
      await server.smtp.waitForMails(user.email, 2);

      server.clock.advance(61_000);
      server.app.get(PasswordResetWorker).wake();
      await server.settle();
      expect(await statusOf(failed.id)).toBeUndefined();
      const arrived = server.smtp.mailsTo(user.email);
      expect(arrived).toHaveLength(2);
      expect(arrived[1].parsed.subject).toMatch(/password .* was changed/i);
    });
  },
);

// The order in which the queue sends is the subject, not HTTP: Express only.
describe.each(testDatabases())('order of the queue (%s)', (databaseKind) => {
  const WAITING = 300;
  /** Mails a server sends at once. */
  const PLACES = 5;
  /** Arrivals looked at after the burst: enough to see the order, without waiting for all. */
  const LOOKED_AT = 60;
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer('express', databaseKind);
  });
  afterAll(async () => {
    server.smtp.holdingReplies = false;
    server.smtp.releaseReplies();
    await server.close();
  });

  it('sends the "password changed" notice before every reset mail waiting, and the reset mails first in, first out', async () => {
    await server.users.add(
      'owner',
      'owner@example.com',
      'correct horse battery staple',
    );
    const token = await requestToken(server, 'owner', 'owner@example.com');
    const arrivedBefore = server.smtp.mails.length;

    // Delivery stalls: each place holds a mail the server has not answered, and a burst waits behind them.
    server.smtp.holdingReplies = true;
    const emails = Array.from(
      { length: WAITING },
      (_, index) => `queued${index}@example.com`,
    );
    await server.dataSource.getRepository(User).insert(
      emails.map((email) => ({
        username: email.split('@')[0],
        email,
        passwordHash: 'never used',
        createdAt: Date.now(),
      })),
    );
    const stored = await server.dataSource
      .getRepository(User)
      .find({ select: { id: true, email: true } });
    const userIdOf = new Map(
      stored.map((user) => [user.email, String(user.id)]),
    );
    const queuedAt = server.clock.now() - 60 * 60 * 1000;
    await server.dataSource.getRepository(OutboxMail).insert(
      emails.map((email, index) => ({
        kind: 'reset-password' as const,
        priority: PRIORITY_OF['reset-password'],
        userId: userIdOf.get(email)!,
        createdAt: queuedAt + index,
        status: 'pending' as const,
        attempts: 0,
        nextAttemptAt: queuedAt + index,
        sentAt: null,
        lastError: null,
      })),
    );
    while (server.smtp.heldReplyCount < PLACES)
      await new Promise((resolve) => setTimeout(resolve, 20));
    const beingSent = server.smtp.mails.length - arrivedBefore;

    await request(server.http)
      .post('/auth/resetPassword')
      .send({ token, password: 'quiet lantern orbit 1987 meadow' })
      .expect(200, {});
    // One place frees: the mail that takes it must be the notice.
    server.smtp.releaseReplies(1);
    while (server.smtp.mails.length < arrivedBefore + beingSent + 1)
      await new Promise((resolve) => setTimeout(resolve, 20));
    server.smtp.holdingReplies = false;
    server.smtp.releaseReplies();
    while (server.smtp.mails.length < arrivedBefore + LOOKED_AT)
      await new Promise((resolve) => setTimeout(resolve, 20));

    const arrived = server.smtp.mails.slice(
      arrivedBefore,
      arrivedBefore + LOOKED_AT,
    );
    const isNotice = (mail: ReceivedMail) =>
      mail.to.includes('owner@example.com');
    expect(arrived.filter(isNotice).map((mail) => mail.parsed.subject)).toEqual(
      [expect.stringMatching(/password .* was changed/i)],
    );
    expect(arrived.findIndex(isNotice)).toBe(beingSent);
    // A mail is taken only after every one queued before it, and at most PLACES are under way: so none can overtake more.
    const queuePositions = arrived
      .filter((mail) => !isNotice(mail))
      .map((mail) => emails.indexOf(mail.to[0]));
    expect(Math.max(...queuePositions)).toBeLessThan(LOOKED_AT + PLACES);
  }, 60_000);
});

describe('without SMTP_URL, in production with MAIL_DIR set', () => {
  const mailDir = mkdtempSync(join(tmpdir(), 'password-reset-eml-'));
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer('express', 'sqlite', {
      env: { NODE_ENV: 'production', SMTP_URL: '', MAIL_DIR: mailDir },
    });
    await server.users.add(
      'frank',
      'frank@example.com',
      'correct horse battery staple',
    );
  });
  afterAll(async () => {
    await server.close();
    rmSync(mailDir, { recursive: true, force: true });
  });

  it('warns at start that no mail is sent and that the files hold live links', () => {
    expect(server.logs.lines).toContainEqual(
      `warn SMTP_URL is not set: no mail is sent; each one, its live reset link included, is written to a file under ${mailDir} PasswordResetServer`,
    );
  });

  it('writes each mail as an .eml file under MAIL_DIR and logs its path, not its link', async () => {
    await request(server.http)
      .post('/auth/lostPassword')
      .send({ username: 'frank' })
      .expect(200, {});
    await server.settle();
    const files = readdirSync(mailDir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/\.eml$/);
    const mail = await simpleParser(readFileSync(join(mailDir, files[0])));
    expect(mail.to).toMatchObject({ text: 'frank@example.com' });
    const token = /token=([\w.-]+)/.exec(mail.text ?? '')![1];
    const logged = server.logs.lines.join('\n');
    expect(logged).toContain(`Mail written to ${join(mailDir, files[0])}`);
    expect(logged).not.toContain(token);
  });
});

describe('a production server without SMTP_URL or MAIL_DIR', () => {
  it('does not start, and says why in one sentence', async () => {
    const server = await ServerProcess.create({
      NODE_ENV: 'production',
      JWT_SECRET: 'a-secret-of-at-least-thirty-two-characters',
      RESET_URL: 'https://reset.example/auth/resetPassword',
    });
    try {
      await expect(server.start()).rejects.toThrow(/server exited/);
    } finally {
      await server.stop();
    }
    const said = server.output.split('\n').filter((line) => line.trim());
    expect(said).toHaveLength(1);
    expect(said[0]).toContain(
      'SMTP_URL is required when NODE_ENV=production (set MAIL_DIR instead to have each mail, live reset link included, written to a file there)',
    );
    expect(existsSync(join(server.cwd, 'var', 'mail'))).toBe(false);
  });
});
