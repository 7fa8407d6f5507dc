import request from 'supertest';
import { IsNull } from 'typeorm';
import { ResetToken } from '../../src/password-reset/tokens/reset-token.entity';
import { testDatabases } from '../support/databases';
import { startTestServer, TestServer } from '../support/harness';
import { freePort } from '../support/server-process';
import { tokenFrom } from '../support/smtp-sink';

/**
 * An SMTP server that takes a message and then stalls: the link may have been
 * delivered, so no second link follows it, and other mail does not wait for it.
 */
// The mail worker's handling of a stalled server is the subject, not HTTP: Express only.
describe.each(testDatabases())(
  'an SMTP server that stalls after DATA (%s)',
  (databaseKind) => {
    let server: TestServer;
    const outboxRow = async (userEmail: string) => {
      const [user] = await server.dataSource.query(
        `SELECT id FROM users WHERE email = '${userEmail}'`,
      );
      const [row] = await server.dataSource.query(
        `SELECT status, attempts, last_error FROM password_reset_outbox WHERE user_id = '${user.id}'`,
      );
      return row;
    };

    beforeAll(async () => {
      // Short waits, so that the stall is noticed within the test (the module's default is 30 s of silence);
      // the harness's SMTP server is moved to the port this transport names.
      const port = await freePort();
      const transport = {
        host: '127.0.0.1',
        port,
        ignoreTLS: true,
        socketTimeout: 1500,
      };
      server = await startTestServer('express', databaseKind, {
        moduleOverrides: { mail: { transport, from: 'no-reply@example.test' } },
      });
      await server.smtp.stop();
      server.smtp.port = port;
      await server.smtp.start();
      await server.users.add(
        'stuck',
        'stuck@example.com',
        'correct horse battery staple',
      );
      await server.users.add(
        'fine',
        'fine@example.com',
        'correct horse battery staple',
      );
    });
    afterAll(() => server.close());

    it('delivers other mail while one delivery hangs, and sends the hung one no second link', async () => {
      server.smtp.stallFor.add('stuck@example.com');
      await request(server.http)
        .post('/auth/lostPassword')
        .send({ username: 'stuck' })
        .expect(200, {});
      while (server.smtp.stalled.length === 0)
        await new Promise((resolve) => setTimeout(resolve, 10));

      await request(server.http)
        .post('/auth/lostPassword')
        .send({ username: 'fine' })
        .expect(200, {});
      await server.smtp.waitForMails('fine@example.com');
      expect((await outboxRow('stuck@example.com')).status).toBe('sending');

      // The stalled attempt times out; the outcome is unknown, so it is not retried with another link.
      while ((await outboxRow('stuck@example.com')).status === 'sending')
        await new Promise((resolve) => setTimeout(resolve, 20));
      expect(await outboxRow('stuck@example.com')).toEqual({
        status: 'unconfirmed',
        attempts: expect.anything(),
        last_error: expect.stringMatching(/timeout/i),
      });
      await new Promise((resolve) => setTimeout(resolve, 1000)); // many retry intervals of this harness (100 ms)
      expect(server.smtp.stalled).toEqual(['stuck@example.com']);

      // The link it carried is the one live link of the user: if the mail did arrive, it works.
      const [user] = await server.dataSource.query(
        `SELECT id FROM users WHERE username = 'stuck'`,
      );
      const live = await server.dataSource.getRepository(ResetToken).findBy({
        userId: String(user.id),
        usedAt: IsNull(),
        revokedAt: IsNull(),
      });
      expect(live).toHaveLength(1);
    });

    it('retries, with a new link, a mail the server certainly refused', async () => {
      server.smtp.stallFor.clear();
      await server.smtp.stop();
      await server.users.add(
        'later',
        'later@example.com',
        'correct horse battery staple',
      );
      await request(server.http)
        .post('/auth/lostPassword')
        .send({ username: 'later' })
        .expect(200, {});
      while (Number((await outboxRow('later@example.com'))?.attempts ?? 0) < 2)
        await new Promise((resolve) => setTimeout(resolve, 20));
      await server.smtp.start();
      const [mail] = await server.smtp.waitForMails('later@example.com');
      const res = await request(server.http)
        .post('/auth/resetPassword/check')
        .send({ token: tokenFrom(mail) });
      expect(res.status).toBe(200);
    });
  },
);
