import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import request from 'supertest';
import { testDatabases } from '../support/databases';
import { startTestServer, TestServer } from '../support/harness';
import { ServerProcess } from '../support/server-process';

// Retries of delivery are the subject, not HTTP: Express only.
describe.each(testDatabases())('mail delivery when SMTP is down (%s)', (databaseKind) => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer('express', databaseKind);
    await server.users.add('carol', 'carol@example.com', 'correct horse battery staple');
  });
  afterAll(() => server.close());

  it('accepts the request, retries with backoff, and delivers exactly once when SMTP comes back', async () => {
    await server.smtp.stop();
    await request(server.http).post('/auth/lostPassword').send({ username: 'carol' }).expect(200, {});

    // Wait until at least two attempts have failed, so the retry path is what delivers it.
    for (;;) {
      const [row] = await server.dataSource.query('SELECT attempts, status, last_error FROM password_reset_outbox');
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
    const [row] = await server.dataSource.query('SELECT status FROM password_reset_outbox');
    expect(row.status).toBe('sent');
    // Only the token of the delivered mail is live; those of failed attempts were revoked.
    const live = await server.dataSource.query('SELECT id FROM password_reset_tokens WHERE used_at IS NULL AND revoked_at IS NULL');
    expect(live).toHaveLength(1);
  });

  it('gives up after the last attempt and leaves the mail dead, not silently dropped', async () => {
    await server.close();
    server = await startTestServer('express', databaseKind, { moduleOverrides: { delivery: { pollIntervalMs: 25, retryBaseMs: 10, retryMaxMs: 20, maxAttempts: 3 } } });
    await server.users.add('dave', 'dave@example.com', 'correct horse battery staple');
    await server.smtp.stop();
    await request(server.http).post('/auth/lostPassword').send({ username: 'dave' }).expect(200);
    for (;;) {
      const [row] = await server.dataSource.query('SELECT attempts, status FROM password_reset_outbox');
      if (row?.status === 'dead') {
        expect(Number(row.attempts)).toBe(3);
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  });
});

describe('without SMTP_URL, in production with MAIL_DIR set', () => {
  const mailDir = mkdtempSync(join(tmpdir(), 'password-reset-eml-'));
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer('express', 'sqlite', { env: { NODE_ENV: 'production', SMTP_URL: '', MAIL_DIR: mailDir } });
    await server.users.add('frank', 'frank@example.com', 'correct horse battery staple');
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
    await request(server.http).post('/auth/lostPassword').send({ username: 'frank' }).expect(200, {});
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
    const server = await ServerProcess.create({ NODE_ENV: 'production', JWT_SECRET: 'a-secret-of-at-least-thirty-two-characters', RESET_URL: 'https://reset.example/auth/resetPassword' });
    try {
      await expect(server.start()).rejects.toThrow(/server exited/);
    } finally {
      await server.stop();
    }
    const said = server.output.split('\n').filter((line) => line.trim());
    expect(said).toHaveLength(1);
    expect(said[0]).toContain('SMTP_URL is required when NODE_ENV=production (set MAIL_DIR instead to have each mail, live reset link included, written to a file there)');
    expect(existsSync(join(server.cwd, 'var', 'mail'))).toBe(false);
  });
});
