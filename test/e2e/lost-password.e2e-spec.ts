import request from 'supertest';
import { testDatabases } from '../support/databases';
import { startTestServer, TestServer, TEST_RESET_URL } from '../support/harness';
import { tokenFrom } from '../support/smtp-sink';

describe.each(testDatabases())('POST /auth/lostPassword (%s)', (databaseKind) => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer(databaseKind);
    await server.users.add('alice', 'Alice@Example.com', 'correct horse battery staple');
  });
  afterAll(() => server.close());

  it('answers 200 {} to JSON and mails the stored address a link to RESET_URL', async () => {
    await request(server.http).post('/auth/lostPassword').send({ username: 'alice' }).expect(200, {});
    const [mail] = await server.smtp.waitForMails('alice@example.com');
    expect(mail.parsed.subject).toContain('Reset your password');
    expect(mail.parsed.html).toContain(TEST_RESET_URL);
    expect(tokenFrom(mail)).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
  });
});
