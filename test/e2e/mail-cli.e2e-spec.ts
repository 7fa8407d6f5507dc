import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import type {
  MailQueueKindStatus,
  MailQueueStatus,
} from '../../src/password-reset/mail/mail-queue';
import { OutboxMail } from '../../src/password-reset/mail/outbox-mail.entity';
import { ResetTokenService } from '../../src/password-reset/tokens/reset-token.service';
import { testDatabases } from '../support/databases';
import { startTestServer, TestServer } from '../support/harness';
import { requestToken } from '../support/flow';

const PASSWORD = 'correct horse battery staple';
const NEW_PASSWORD = 'quiet lantern orbit 1987 meadow';

const MAIL_CLI = join(
  resolve(__dirname, '..', '..'),
  'dist',
  'src',
  'standalone',
  'cli',
  'mail.js',
);

/** The operator's commands, run as an operator runs them (the built CLI), beside a running server, on a queue with dead mail. */
describe.each(testDatabases())('npm run mail (%s)', (databaseKind) => {
  let server: TestServer;
  let databaseUrl: string;

  const mail = async (
    ...args: string[]
  ): Promise<{ code: number; stdout: string; stderr: string }> => {
    try {
      const { stdout, stderr } = await promisify(execFile)(
        process.execPath,
        [MAIL_CLI, ...args],
        { env: { PATH: process.env.PATH, DATABASE_URL: databaseUrl } },
      );
      return { code: 0, stdout, stderr };
    } catch (error) {
      const { code, stdout, stderr } = error as {
        code: number;
        stdout: string;
        stderr: string;
      };
      return { code, stdout, stderr };
    }
  };
  const resetMailStatus = async (): Promise<MailQueueKindStatus> => {
    const { stdout } = await mail('status', '--json');
    return (JSON.parse(stdout) as MailQueueStatus).kinds.find(
      (kind) => kind.kind === 'reset-password',
    )!;
  };
  const deadMailIds = async (): Promise<number[]> =>
    (
      await server.dataSource.query(
        "SELECT id FROM password_reset_outbox WHERE status = 'dead' ORDER BY id",
      )
    ).map((row: { id: number }) => Number(row.id));
  const until = async (condition: () => Promise<boolean>) => {
    while (!(await condition()))
      await new Promise((resolve) => setTimeout(resolve, 25));
  };
  const createdAtOf = async (id: number): Promise<number> =>
    Number(
      (
        await server.dataSource
          .getRepository(OutboxMail)
          .findOneByOrFail({ id })
      ).createdAt,
    );
  const resetPassword = (token: string) =>
    request(server.http)
      .post('/auth/resetPassword')
      .send({ token, password: NEW_PASSWORD })
      .expect(200, {});

  beforeAll(async () => {
    server = await startTestServer('express', databaseKind, {
      routeDatabase: async (url) => (databaseUrl = url),
      moduleOverrides: {
        delivery: {
          pollIntervalMs: 25,
          retryBaseMs: 50,
          retryMaxMs: 100,
          maxAttempts: 3,
        },
      },
    });
    await server.users.add(
      'bounce',
      'bounce@example.com',
      'correct horse battery staple',
    );
    await server.users.add(
      'other',
      'other@example.com',
      'correct horse battery staple',
    );
  });
  afterAll(() => server.close());

  it('shows dead mail from a server that refuses it for good, and sends it once retried', async () => {
    server.smtp.refuseFor.add('bounce@example.com');
    await request(server.http)
      .post('/auth/lostPassword')
      .send({ username: 'bounce' })
      .expect(200, {});
    await until(async () => (await deadMailIds()).length === 1);

    expect(await resetMailStatus()).toEqual({
      kind: 'reset-password',
      pending: 0,
      sending: 0,
      sentLastHour: 0,
      unconfirmedLastHour: 0,
      dead: 1,
      oldestPendingAgeSeconds: null,
    });
    const text = await mail('status');
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(
      /^requests waiting: 0 \(oldest -\)\nkind +pending +sending +sent \(1 h\) +unconfirmed \(1 h\) +dead +oldest pending\nreset-password +0 +0 +0 +0 +1 +-\n/,
    );

    // An id that is not a dead mail changes nothing and says so in the exit code.
    const [deadId] = await deadMailIds();
    expect(
      await mail('retry-dead', '--id', String(deadId + 1000), '--json'),
    ).toMatchObject({ code: 1, stdout: '{"retried":0,"skipped":[]}\n' });
    expect(await deadMailIds()).toEqual([deadId]);

    // Queued again as a fresh request is: as of now, and counted so by the per-account limit.
    server.smtp.refuseFor.clear();
    const retriedAfter = Date.now();
    expect(
      await mail('retry-dead', '--id', String(deadId), '--json'),
    ).toMatchObject({ code: 0, stdout: '{"retried":1,"skipped":[]}\n' });
    expect(await createdAtOf(deadId)).toBeGreaterThanOrEqual(retriedAfter);
    await server.smtp.waitForMails('bounce@example.com');
    await server.settle();
    expect(await resetMailStatus()).toMatchObject({
      pending: 0,
      sending: 0,
      sentLastHour: 1,
      dead: 0,
    });
    expect(server.smtp.mailsTo('bounce@example.com')).toHaveLength(1);
  });

  it('retries every dead mail at once, and purges dead mail by age', async () => {
    server.smtp.refuseFor.add('other@example.com');
    await request(server.http)
      .post('/auth/lostPassword')
      .send({ username: 'other' })
      .expect(200, {});
    await request(server.http)
      .post('/auth/lostPassword')
      .send({ username: 'other' })
      .expect(200, {});
    await until(async () => (await deadMailIds()).length === 2);

    const [older] = await deadMailIds();
    expect(await mail('retry-dead')).toMatchObject({
      code: 0,
      stdout: `1 dead mail(s) queued again\nmail ${older} (reset-password) not queued again: a newer reset mail was queued for the user\n`,
    });
    await until(async () => (await deadMailIds()).length === 2);

    expect(
      await mail('purge-dead', '--older-than', '7d', '--json'),
    ).toMatchObject({ code: 0, stdout: '{"purged":0}\n' });
    expect(await deadMailIds()).toHaveLength(2);
    expect(
      await mail('purge-dead', '--older-than', '0s', '--json'),
    ).toMatchObject({ code: 0, stdout: '{"purged":2}\n' });
    expect(await deadMailIds()).toEqual([]);
    expect(server.smtp.mailsTo('other@example.com')).toEqual([]);
  });

  it("does not retry a reset mail superseded by a newer request, whose link would take the newest one's place", async () => {
    await server.users.add('outage', 'outage@example.com', PASSWORD);
    server.smtp.refuseFor.add('outage@example.com');
    await request(server.http)
      .post('/auth/lostPassword')
      .send({ username: 'outage' })
      .expect(200, {});
    await until(async () => (await deadMailIds()).length === 1);
    const [died] = await deadMailIds();
    server.smtp.refuseFor.delete('outage@example.com');
    const newest = await requestToken(server, 'outage', 'outage@example.com');

    expect(await mail('retry-dead', '--json')).toMatchObject({
      code: 0,
      stdout: `{"retried":0,"skipped":[{"id":${died},"kind":"reset-password","reason":"superseded"}]}\n`,
    });
    await server.settle();
    expect(await deadMailIds()).toEqual([died]);
    expect(server.smtp.mailsTo('outage@example.com')).toHaveLength(1);
    await resetPassword(newest);
    await mail('purge-dead', '--older-than', '0s');
  });

  it('does not retry a reset mail asked for before the password changed', async () => {
    const user = await server.users.add(
      'changed',
      'changed@example.com',
      PASSWORD,
    );
    server.smtp.refuseFor.add('changed@example.com');
    await request(server.http)
      .post('/auth/lostPassword')
      .send({ username: 'changed' })
      .expect(200, {});
    await until(async () => (await deadMailIds()).length === 1);
    const [died] = await deadMailIds();
    server.smtp.refuseFor.delete('changed@example.com');
    // The password changes through a link made another way (an operator's, say): no newer reset mail, but a notice.
    await resetPassword(
      (await server.app.get(ResetTokenService).issue(String(user.id))).link,
    );
    await server.smtp.waitForMails('changed@example.com');

    expect(await mail('retry-dead', '--id', String(died))).toMatchObject({
      code: 1,
      stdout: `0 dead mail(s) queued again\nmail ${died} (reset-password) not queued again: the password was changed after it was asked for\n`,
    });
    expect(await deadMailIds()).toEqual([died]);
    await mail('purge-dead', '--older-than', '0s');
  });

  it('does not retry a reset mail past the per-account limit', async () => {
    const user = await server.users.add('busy', 'busy@example.com', PASSWORD);
    const outbox = server.dataSource.getRepository(OutboxMail);
    const resetMail = {
      kind: 'reset-password' as const,
      priority: 1,
      userId: String(user.id),
      attempts: 1,
      sentAt: null,
      lastError: null,
    };
    const now = Date.now();
    await outbox.insert(
      Array.from({ length: 3 }, () => ({
        ...resetMail,
        status: 'sent' as const,
        createdAt: now - 60_000,
        nextAttemptAt: now - 60_000,
        sentAt: now - 60_000,
      })),
    );
    // Queued after those by an instance whose clock ran behind: it supersedes none of them, and would be a fourth mail in the hour.
    await outbox.insert({
      ...resetMail,
      status: 'dead',
      createdAt: now - 2 * 60 * 60 * 1000,
      nextAttemptAt: now - 2 * 60 * 60 * 1000,
    });
    const [died] = await deadMailIds();

    expect(
      await mail('retry-dead', '--id', String(died), '--json'),
    ).toMatchObject({
      code: 1,
      stdout: `{"retried":0,"skipped":[{"id":${died},"kind":"reset-password","reason":"account-limit"}]}\n`,
    });
    expect(await deadMailIds()).toEqual([died]);
    await mail('purge-dead', '--older-than', '0s');
  });

  it('retries a dead "password changed" notice with the time of the change, not of the sending', async () => {
    await server.users.add('notified', 'notified@example.com', PASSWORD);
    const token = await requestToken(
      server,
      'notified',
      'notified@example.com',
    );
    server.smtp.refuseFor.add('notified@example.com');
    await resetPassword(token);
    await until(async () => (await deadMailIds()).length === 1);
    const [notice] = await deadMailIds();
    const changedAt = await createdAtOf(notice);
    server.smtp.refuseFor.delete('notified@example.com');

    const twoDays = 2 * 24 * 60 * 60 * 1000;
    server.clock.advance(twoDays);
    try {
      expect(
        await mail('retry-dead', '--id', String(notice), '--json'),
      ).toMatchObject({ code: 0, stdout: '{"retried":1,"skipped":[]}\n' });
      const [received] = await server.smtp
        .waitForMails('notified@example.com', 2)
        .then((mails) => mails.slice(1));
      const inMail = new Intl.DateTimeFormat('en', {
        dateStyle: 'long',
        timeStyle: 'short',
        timeZone: 'UTC',
      });
      expect(received.parsed.text).toContain(inMail.format(changedAt));
      expect(received.parsed.text).not.toContain(
        inMail.format(changedAt + twoDays),
      );
      expect(await createdAtOf(notice)).toBe(changedAt);
    } finally {
      server.clock.advance(-twoDays);
    }
  });

  it('refuses what it does not understand, with the usage', async () => {
    for (const args of [
      [],
      ['frobnicate'],
      ['purge-dead'],
      ['purge-dead', '--older-than', 'soon'],
      ['retry-dead', '--id', 'x'],
    ]) {
      const result = await mail(...args);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/^Usage:\n {2}npm run mail -- status/);
    }
  });
});
