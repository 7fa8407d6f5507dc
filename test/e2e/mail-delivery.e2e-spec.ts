import request from 'supertest';
import { testDatabases } from '../support/databases';
import { startTestServer, TestServer } from '../support/harness';

describe.each(testDatabases())('mail delivery when SMTP is down (%s)', (databaseKind) => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer(databaseKind);
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
        expect(row.status).toBe('pending');
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
    server = await startTestServer(databaseKind, { moduleOverrides: { delivery: { pollIntervalMs: 25, retryBaseMs: 10, retryMaxMs: 20, maxAttempts: 3 } } });
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
