import Redis from 'ioredis';
import request from 'supertest';
import {
  describeEachNetworkedDatabase,
  testDatabases,
} from '../support/databases';
import { FaultProxy } from '../support/fault-proxy';
import { newUser } from '../support/flow';
import { eventually } from '../support/eventually';
import { startTestServer, TestServer } from '../support/harness';

/**
 * A dependency cut off (every connection dropped, new ones refused) and then
 * back, through a TCP proxy between the server and it: nothing accepted is
 * lost, the server says plainly what is down, and it recovers without a
 * restart. (A dependency that goes silent instead is hung-database and smtp-stalls.)
 * The outages are the subject, not HTTP: Express only.
 */
jest.setTimeout(90_000);

const health = (server: TestServer) => request(server.http).get('/health');
const lostPassword = (server: TestServer, username: string) =>
  request(server.http).post('/auth/lostPassword').send({ username });

describeEachNetworkedDatabase(
  'a database cut off and back (%s)',
  (databaseKind) => {
    let proxy: FaultProxy;
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer('express', databaseKind, {
        routeDatabase: async (url) => (proxy = await FaultProxy.start(url)).url,
      });
    });
    afterAll(async () => {
      await proxy?.stop();
      await server?.close();
    });

    it('answers 503 alike for every user, names the database in /health, loses nothing accepted, and recovers by itself', async () => {
      const before = await newUser(server);
      const during = await newUser(server);
      await server.smtp.stop(); // accepted mail waits in the queue through the outage
      await lostPassword(server, before.username).expect(200, {});

      proxy.cut();
      const known = await lostPassword(server, during.username);
      const unknown = await lostPassword(server, 'nobody-by-that-name');
      expect(known.status).toBe(503);
      expect(known.body).toEqual({
        statusCode: 503,
        error: 'Service Unavailable',
        message: expect.any(String),
        code: 'unavailable',
      });
      expect(unknown.body).toEqual(known.body);
      expect(Object.keys(unknown.headers).sort()).toEqual(
        Object.keys(known.headers).sort(),
      );
      await eventually(async () => {
        const res = await health(server).expect(503);
        expect(res.body.error).toEqual({
          database: { status: 'down' },
          mail: { status: 'down' },
        });
      });

      await server.smtp.start();
      proxy.heal();
      await eventually(async () => {
        await health(server).expect(200);
      });
      await eventually(async () => {
        await lostPassword(server, during.username).expect(200, {});
      });
      await server.smtp.waitForMails(before.email, 1, 30_000);
      await server.smtp.waitForMails(during.email, 1, 30_000);
      await server.settle();
      expect(server.smtp.mailsTo(before.email)).toHaveLength(1);
      expect(server.smtp.mailsTo(during.email)).toHaveLength(1);
    });
  },
);

describe.each(testDatabases())(
  'an SMTP server cut off and back (%s)',
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

    it('keeps accepting, names the mail server in /health, retries, and delivers each mail once when it is back', async () => {
      const users = [await newUser(server), await newUser(server)];
      proxy.cut();
      for (const user of users)
        await lostPassword(server, user.username).expect(200, {});
      await eventually(async () => {
        const res = await health(server).expect(200);
        expect(res.body).toEqual({
          status: 'ok',
          info: { database: { status: 'up' } },
          error: { mail: { status: 'down' } },
          details: { database: { status: 'up' }, mail: { status: 'down' } },
        });
      });
      await eventually(async () => {
        const rows: { attempts: number }[] = await server.dataSource.query(
          'SELECT attempts FROM password_reset_outbox',
        );
        expect(rows.length).toBe(2);
        expect(rows.every((row) => Number(row.attempts) >= 2)).toBe(true);
      });

      proxy.heal();
      for (const user of users)
        await server.smtp.waitForMails(user.email, 1, 30_000);
      await server.settle();
      for (const user of users)
        expect(server.smtp.mailsTo(user.email)).toHaveLength(1);
      await eventually(async () => {
        expect((await health(server).expect(200)).body.details.mail).toEqual({
          status: 'up',
        });
      });
    });
  },
);

describe('a Redis cut off and back', () => {
  let proxy: FaultProxy;
  let server: TestServer;
  beforeAll(async () => {
    // A database of Redis no other suite uses, emptied: per-IP counters left by other runs would answer 429.
    const redisUrl = 'redis://127.0.0.1:6379/13';
    const redis = new Redis(redisUrl);
    await redis.flushdb();
    redis.disconnect();
    proxy = await FaultProxy.start(redisUrl);
    server = await startTestServer('express', 'sqlite', {
      env: { REDIS_URL: proxy.url, IP_RATE_LIMIT: '1000' },
    });
  });
  afterAll(async () => {
    await server?.close();
    await proxy?.stop();
  });

  it('keeps accepting with the limits counted in memory, names Redis in /health, and uses it again when it is back', async () => {
    const user = await newUser(server);
    await lostPassword(server, user.username).expect(200, {});
    await eventually(async () => {
      expect((await health(server).expect(200)).body.details).toEqual({
        database: { status: 'up' },
        mail: { status: 'up' },
        redis: { status: 'up' },
      });
    });

    proxy.cut();
    await lostPassword(server, user.username).expect(200, {});
    await eventually(async () => {
      const res = await health(server).expect(200);
      expect(res.body.error).toEqual({ redis: { status: 'down' } });
    });
    expect(
      server.logs.lines.some((line) =>
        line.includes('Shared rate-limit store failed, counting locally'),
      ),
    ).toBe(true);

    proxy.heal();
    await eventually(async () => {
      expect((await health(server).expect(200)).body.error).toEqual({});
    });
    await eventually(async () => {
      await lostPassword(server, user.username).expect(200, {});
      expect(
        server.logs.lines.some((line) =>
          line.includes('Shared rate-limit store is back'),
        ),
      ).toBe(true);
    });
    await server.smtp.waitForMails(user.email, 3);
  });
});
