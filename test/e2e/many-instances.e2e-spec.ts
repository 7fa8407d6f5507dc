import { PASSWORD_RESET_DEFAULTS } from '../../src/password-reset/options/password-reset-defaults';
import {
  createTestDatabase,
  describeEachNetworkedDatabase,
} from '../support/databases';
import { distinctMailsTo, Instances } from '../support/instances';
import type { ServerProcess } from '../support/server-process';
import { waitingWork } from '../support/settled';
import { SmtpSink, tokenFrom } from '../support/smtp-sink';

const USERS = 150;
const EXTRA_REQUESTS = 150;
const CONCURRENCY = 12;

const post = (server: ServerProcess, path: string, body: object) =>
  fetch(`${server.baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

const jtiOf = (link: string): string =>
  JSON.parse(Buffer.from(link.split('.')[1], 'base64url').toString()).jti;

async function until(
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Several instances of the standalone server on one database, as behind a
 * load balancer, with one killed mid-run: what matters is that they share the
 * work without losing or repeating any, which needs a database with row locks.
 */
describeEachNetworkedDatabase(
  'three instances on one database (%s)',
  (databaseKind) => {
    jest.setTimeout(180_000);
    let database: Awaited<ReturnType<typeof createTestDatabase>>;
    let smtp: SmtpSink;
    let instances: Instances;

    beforeAll(async () => {
      database = await createTestDatabase(databaseKind);
      smtp = await new SmtpSink().start();
      // Mail in flight all the time: the instance killed mid-run is sending some, and has its lease to lapse.
      smtp.replyDelayMs = 200;
      instances = new Instances({
        DATABASE_URL: database.url,
        SMTP_URL: smtp.url,
        JWT_SECRET: 'many-instances-secret-many-instances-secret',
        RESET_URL: 'https://reset.example.test/auth/resetPassword',
        IP_RATE_LIMIT: '0',
        RESET_IP_RATE_LIMIT: '0',
        // A mail that the killed instance held is taken up by another after this lease, not after the default two minutes.
        // The attempt's own deadline stays well above what a loaded machine takes to hand a mail to a server on loopback.
        MAIL_ATTEMPT_TIMEOUT: '10s',
        MAIL_LEASE: '12s',
      });
      await instances.start(3);
    });

    afterAll(async () => {
      await instances.stopAll();
      await smtp.stop();
      await database.drop();
    });

    const queueEmpty = async () => {
      const dataSource = await instances.dataSource();
      try {
        return (await waitingWork(dataSource)) === 0;
      } finally {
        await dataSource.destroy();
      }
    };

    it('sends every accepted request its mail, none past the limit, with one instance killed and replaced mid-run', async () => {
      const users = Array.from({ length: USERS }, (_, index) => ({
        username: `member${index}`,
        email: `member${index}@example.com`,
      }));
      await instances.addUsers(users);
      // Every user asked once, and some more than once, up to past the limit, in a shuffled order.
      const asks = [
        ...users.map((_, index) => index),
        ...Array.from(
          { length: EXTRA_REQUESTS },
          (_, index) => (index * 7) % USERS,
        ),
      ];
      asks.sort(() => Math.random() - 0.5);

      const live = [...instances.servers];
      const victim = live[1];
      const accepted = new Map<number, number>();
      let sent = 0;
      const lane = async () => {
        while (sent < asks.length) {
          const turn = sent++;
          const user = asks[turn];
          if (turn === Math.floor(asks.length / 2)) {
            // Killed once mail flows, while the other lanes send it requests and its worker holds claimed requests and mails.
            await until(() => smtp.mails.length >= 10, 30_000, 'mail to flow');
            live.splice(live.indexOf(victim), 1);
            await victim.kill();
            live.push(...(await instances.start(1)));
          }
          const server = live[turn % live.length];
          try {
            const response = await post(server, '/auth/lostPassword', {
              username: users[user].username,
            });
            if (response.status === 200)
              accepted.set(user, (accepted.get(user) ?? 0) + 1);
          } catch {
            // The connection died with the instance: that request was not accepted.
          }
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, lane));
      expect(accepted.size).toBeGreaterThan(USERS * 0.9);

      await until(
        () =>
          [...accepted.keys()].every(
            (user) => distinctMailsTo(smtp, users[user].email).length > 0,
          ),
        60_000,
        'a mail for every accepted request',
      );
      await until(queueEmpty, 60_000, 'the queue to empty');

      const dataSource = await instances.dataSource();
      const outbox: { id: number; user_id: string; status: string }[] =
        await dataSource.query(
          "SELECT id, user_id, status FROM password_reset_outbox WHERE kind = 'reset-password'",
        );
      const tokens: { id: string; user_id: string }[] = await dataSource.query(
        'SELECT id, user_id FROM password_reset_tokens ORDER BY created_at, id',
      );
      const userRows: { id: number; username: string }[] =
        await dataSource.query('SELECT id, username FROM users');
      await dataSource.destroy();
      const idOf = new Map(
        userRows.map((row) => [row.username, String(row.id)]),
      );
      const newestToken = new Map(
        tokens.map((token) => [String(token.user_id), token.id]),
      );

      expect(outbox.filter((mail) => mail.status !== 'sent')).toEqual([]);
      for (const [index, user] of users.entries()) {
        const mails = distinctMailsTo(smtp, user.email);
        const asked = accepted.get(index) ?? 0;
        // Each queued mail arrived (once, or twice with one Message-ID when its sender died after sending), none past the limit.
        expect(mails.length).toBe(
          outbox.filter(
            (mail) => String(mail.user_id) === idOf.get(user.username),
          ).length,
        );
        expect(mails.length).toBeLessThanOrEqual(
          PASSWORD_RESET_DEFAULTS.accountLimit.max,
        );
        expect(mails.length).toBeGreaterThanOrEqual(
          Math.min(asked, PASSWORD_RESET_DEFAULTS.accountLimit.max),
        );
        // Of all the links the user got, only that of the newest token works.
        const links = smtp.mailsTo(user.email).map(tokenFrom);
        const usable: string[] = [];
        for (const link of links) {
          if (
            (await post(live[0], '/auth/resetPassword/check', { token: link }))
              .status === 200
          )
            usable.push(jtiOf(link));
        }
        if (links.length > 0)
          expect(usable).toEqual([newestToken.get(idOf.get(user.username)!)]);
        // A user's mails went out one after another: the last to arrive carries it.
        if (links.length > 0)
          expect(jtiOf(links[links.length - 1])).toBe(usable[0]);
      }
      // Sent twice with one Message-ID: only what the killed instance was sending (five at a time) can be.
      expect(
        smtp.mails.length -
          smtp.mails.reduce(
            (ids, mail) => ids.add(mail.parsed.messageId),
            new Set(),
          ).size,
      ).toBeLessThanOrEqual(5);
    });

    it('holds the per-account limit when every instance is asked for one account at once', async () => {
      await instances.addUsers([
        { username: 'popular', email: 'popular@example.com' },
      ]);
      const live = instances.servers.filter((server) => server.isRunning);
      const answers = await Promise.all(
        Array.from({ length: 30 }, (_, index) =>
          post(live[index % live.length], '/auth/lostPassword', {
            username: 'popular',
          }),
        ),
      );
      expect(answers.map((answer) => answer.status)).toEqual(
        Array(30).fill(200),
      );
      await until(
        () =>
          smtp.mailsTo('popular@example.com').length >=
          PASSWORD_RESET_DEFAULTS.accountLimit.max,
        30_000,
        'the mails within the limit',
      );
      await until(queueEmpty, 30_000, 'the queue to empty');
      expect(smtp.mailsTo('popular@example.com')).toHaveLength(
        PASSWORD_RESET_DEFAULTS.accountLimit.max,
      );
    });
  },
);
