import request from 'supertest';
import { ResetToken } from '../../src/password-reset/tokens/reset-token.entity';
import { testDatabases } from '../support/databases';
import { FaultProxy, SmtpStage } from '../support/fault-proxy';
import { newUser, requestToken } from '../support/flow';
import { startTestServer, TestServer } from '../support/harness';
import { tokenFrom } from '../support/smtp-sink';

/**
 * The module keeps its SMTP connections open from one mail to the next, and
 * tells a session dropped before the server had the message (retried, with a
 * new link) from one dropped after (the mail may have arrived: no second
 * link). The sessions go through a TCP proxy that drops one at a chosen stage.
 * The mail worker is the subject, not HTTP: Express only.
 */
jest.setTimeout(60_000);

describe.each(testDatabases())(
  'SMTP sessions kept open and dropped (%s)',
  (databaseKind) => {
    let proxy: FaultProxy;
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer('express', databaseKind, {
        routeSmtp: async (url) => (proxy = await FaultProxy.start(url)).url,
      });
    });
    afterAll(async () => {
      await proxy?.stop();
      await server?.close();
    });

    const outboxRow = async (userEmail: string) => {
      const [user] = await server.dataSource.query(
        `SELECT id FROM users WHERE email = '${userEmail}'`,
      );
      const [row] = await server.dataSource.query(
        `SELECT status, attempts FROM password_reset_outbox WHERE user_id = '${user.id}'`,
      );
      return {
        user: String(user.id),
        status: row.status,
        attempts: Number(row.attempts),
      };
    };

    /** Asks for a reset while the proxy drops the session at `stage`; what the outbox recorded, how many links were made, and how many connections it took. */
    const resetDroppedAt = async (stage: SmtpStage) => {
      const user = await newUser(server);
      const connectionsBefore = proxy.connectionsOpened;
      proxy.dropSmtpAt(stage);
      await request(server.http)
        .post('/auth/lostPassword')
        .send({ username: user.username })
        .expect(200, {});
      await server.settle();
      const row = await outboxRow(user.email);
      const tokens = await server.dataSource
        .getRepository(ResetToken)
        .findBy({ userId: row.user });
      const [mail] = server.smtp.mailsTo(user.email);
      const check = await request(server.http)
        .post('/auth/resetPassword/check')
        .send({ token: tokenFrom(mail) });
      return {
        status: row.status,
        attempts: row.attempts,
        mailsArrived: server.smtp.mailsTo(user.email).length,
        links: tokens.length,
        linksRevoked: tokens.filter((token) => token.revokedAt !== null).length,
        deliveredLinkUsable: check.status === 200,
        connectionsOpened: proxy.connectionsOpened - connectionsBefore,
      };
    };

    /** Ends the connections the server keeps; it hears of the close a moment later. */
    const dropKeptConnections = async () => {
      proxy.cut();
      proxy.heal();
      await new Promise((resolve) => setTimeout(resolve, 200));
    };

    it('sends many mails over a few connections, none more than once', async () => {
      const users = await Promise.all(
        Array.from({ length: 8 }, () => newUser(server)),
      );
      await Promise.all(
        users.map((user) =>
          request(server.http)
            .post('/auth/lostPassword')
            .send({ username: user.username })
            .expect(200, {}),
        ),
      );
      await server.settle();
      for (const user of users)
        expect(server.smtp.mailsTo(user.email)).toHaveLength(1);
      // At most one connection per mail under way at once (delivery.concurrency, 5).
      expect(proxy.connectionsOpened).toBeLessThanOrEqual(5);
    });

    it('retries with a new link a mail whose session was dropped before the server had it, and sends none twice', async () => {
      await dropKeptConnections(); // so that the next session starts with a greeting
      const retried = {
        status: 'sent',
        attempts: 2,
        mailsArrived: 1,
        links: 2,
        linksRevoked: 1,
        deliveredLinkUsable: true,
      };
      // A new connection, dropped before the greeting; then one for the retry.
      expect(await resetDroppedAt('greeting')).toEqual({
        ...retried,
        connectionsOpened: 2,
      });
      // The connection kept from the mail before, dropped mid-envelope: only the retry opens one.
      // With PIPELINING the whole envelope and DATA go out at once; without, one command at a time.
      expect(await resetDroppedAt('MAIL FROM')).toEqual({
        ...retried,
        connectionsOpened: 1,
      });
      proxy.hideSmtpPipelining = true;
      await dropKeptConnections(); // the kept connection knows of PIPELINING
      const warmUp = await newUser(server);
      await requestToken(server, warmUp.username, warmUp.email);
      await server.settle();
      expect(await resetDroppedAt('MAIL FROM')).toEqual({
        ...retried,
        connectionsOpened: 1,
      });
      expect(await resetDroppedAt('RCPT TO')).toEqual({
        ...retried,
        connectionsOpened: 1,
      });
      expect(await resetDroppedAt('DATA')).toEqual({
        ...retried,
        connectionsOpened: 1,
      });
      // The server kept the message but its answer never came: the link may have arrived, so no second one.
      expect(await resetDroppedAt('final dot')).toEqual({
        status: 'unconfirmed',
        attempts: 1,
        mailsArrived: 1,
        links: 1,
        linksRevoked: 0,
        deliveredLinkUsable: true,
        connectionsOpened: 0,
      });

      const messageIds = server.smtp.mails.map((mail) => mail.parsed.messageId);
      expect(new Set(messageIds).size).toBe(messageIds.length);
    });
  },
);
