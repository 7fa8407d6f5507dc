import request from 'supertest';
import { createTestDatabase, testDatabases } from '../support/databases';
import { ServerProcess } from '../support/server-process';
import { SmtpSink } from '../support/smtp-sink';

// Durability across a kill is the subject, not HTTP: Express (the server's default) only.
describe.each(testDatabases())(
  'a server killed right after answering (%s)',
  (databaseKind) => {
    it('delivers the accepted request after it is started again, exactly once', async () => {
      const database = await createTestDatabase(databaseKind);
      const smtp = await new SmtpSink().start();
      await smtp.stop(); // down when the request comes in: nothing can be delivered before the kill
      const server = await ServerProcess.create({
        DATABASE_URL: database.url,
        SMTP_URL: smtp.url,
        JWT_SECRET: 'restart-test-secret-restart-test-secret',
      });
      try {
        server.addUser(
          'erin',
          'erin@example.com',
          'correct horse battery staple',
        );
        await server.start();
        await request(server.baseUrl)
          .post('/auth/lostPassword')
          .send({ username: 'erin' })
          .expect(200, {});
        await server.kill();

        await smtp.start();
        await server.start();
        await smtp.waitForMails('erin@example.com', 1, 20000);
        await new Promise((resolve) => setTimeout(resolve, 1500));
        expect(smtp.mailsTo('erin@example.com')).toHaveLength(1);
      } finally {
        await server.stop();
        await smtp.stop();
        await database.drop();
      }
    });
  },
);
