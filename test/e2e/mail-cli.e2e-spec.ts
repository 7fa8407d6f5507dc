import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import type { MailQueueKindStatus, MailQueueStatus } from '../../src/password-reset/mail/mail-queue';
import { testDatabases } from '../support/databases';
import { startTestServer, TestServer } from '../support/harness';

const MAIL_CLI = join(resolve(__dirname, '..', '..'), 'dist', 'src', 'cli', 'mail.js');


/** The operator's commands, run as an operator runs them (the built CLI), beside a running server, on a queue with dead mail. */
describe.each(testDatabases())('npm run mail (%s)', (databaseKind) => {
  let server: TestServer;
  let databaseUrl: string;

  const mail = async (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
    try {
      const { stdout, stderr } = await promisify(execFile)(process.execPath, [MAIL_CLI, ...args], { env: { PATH: process.env.PATH, DATABASE_URL: databaseUrl } });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const { code, stdout, stderr } = error as { code: number; stdout: string; stderr: string };
      return { code, stdout, stderr };
    }
  };
  const resetMailStatus = async (): Promise<MailQueueKindStatus> => {
    const { stdout } = await mail('status', '--json');
    return (JSON.parse(stdout) as MailQueueStatus).kinds.find((kind) => kind.kind === 'reset-password')!;
  };
  const deadMailIds = async (): Promise<number[]> =>
    (await server.dataSource.query("SELECT id FROM password_reset_outbox WHERE status = 'dead' ORDER BY id")).map((row: { id: number }) => Number(row.id));
  const until = async (condition: () => Promise<boolean>) => {
    while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 25));
  };

  beforeAll(async () => {
    server = await startTestServer('express', databaseKind, {
      routeDatabase: async (url) => (databaseUrl = url),
      moduleOverrides: { delivery: { pollIntervalMs: 25, retryBaseMs: 50, retryMaxMs: 100, maxAttempts: 3 } },
    });
    await server.users.add('bounce', 'bounce@example.com', 'correct horse battery staple');
    await server.users.add('other', 'other@example.com', 'correct horse battery staple');
  });
  afterAll(() => server.close());

  it('shows dead mail from a server that refuses it for good, and sends it once retried', async () => {
    server.smtp.refuseFor.add('bounce@example.com');
    await request(server.http).post('/auth/lostPassword').send({ username: 'bounce' }).expect(200, {});
    await until(async () => (await deadMailIds()).length === 1);

    expect(await resetMailStatus()).toEqual({ kind: 'reset-password', pending: 0, sending: 0, sentLastHour: 0, unconfirmedLastHour: 0, dead: 1, oldestPendingAgeSeconds: null });
    const text = await mail('status');
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^requests waiting: 0 \(oldest -\)\nkind +pending +sending +sent \(1 h\) +unconfirmed \(1 h\) +dead +oldest pending\nreset-password +0 +0 +0 +0 +1 +-\n/);

    // An id that is not a dead mail changes nothing and says so in the exit code.
    const [deadId] = await deadMailIds();
    expect(await mail('retry-dead', '--id', String(deadId + 1000), '--json')).toMatchObject({ code: 1, stdout: '{"retried":0}\n' });
    expect(await deadMailIds()).toEqual([deadId]);

    server.smtp.refuseFor.clear();
    expect(await mail('retry-dead', '--id', String(deadId), '--json')).toMatchObject({ code: 0, stdout: '{"retried":1}\n' });
    await server.smtp.waitForMails('bounce@example.com');
    await server.settle();
    expect(await resetMailStatus()).toMatchObject({ pending: 0, sending: 0, sentLastHour: 1, dead: 0 });
    expect(server.smtp.mailsTo('bounce@example.com')).toHaveLength(1);
  });

  it('retries every dead mail at once, and purges dead mail by age', async () => {
    server.smtp.refuseFor.add('other@example.com');
    await request(server.http).post('/auth/lostPassword').send({ username: 'other' }).expect(200, {});
    await request(server.http).post('/auth/lostPassword').send({ username: 'other' }).expect(200, {});
    await until(async () => (await deadMailIds()).length === 2);

    expect(await mail('retry-dead')).toMatchObject({ code: 0, stdout: '2 dead mail(s) queued again\n' });
    await until(async () => (await deadMailIds()).length === 2);

    expect(await mail('purge-dead', '--older-than', '7d', '--json')).toMatchObject({ code: 0, stdout: '{"purged":0}\n' });
    expect(await deadMailIds()).toHaveLength(2);
    expect(await mail('purge-dead', '--older-than', '0s', '--json')).toMatchObject({ code: 0, stdout: '{"purged":2}\n' });
    expect(await deadMailIds()).toEqual([]);
    expect(server.smtp.mailsTo('other@example.com')).toEqual([]);
  });

  it('refuses what it does not understand, with the usage', async () => {
    for (const args of [[], ['frobnicate'], ['purge-dead'], ['purge-dead', '--older-than', 'soon'], ['retry-dead', '--id', 'x']]) {
      const result = await mail(...args);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/^Usage:\n {2}npm run mail -- status/);
    }
  });
});
