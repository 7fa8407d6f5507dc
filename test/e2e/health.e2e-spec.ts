import request from 'supertest';
import { FaultProxy } from '../support/fault-proxy';
import { TestPlatform, testPlatformsAndDatabases } from '../support/platforms';
import { startTestServer, TestServer } from '../support/harness';

// The harness's server mails a real SMTP server, which /health asks too; it stays up here.
const up = {
  status: 'ok',
  info: { database: { status: 'up' }, mail: { status: 'up' } },
  error: {},
  details: { database: { status: 'up' }, mail: { status: 'up' } },
};
const down = {
  status: 'error',
  info: { mail: { status: 'up' } },
  error: { database: { status: 'down' } },
  details: { database: { status: 'down' }, mail: { status: 'up' } },
};

/** Longer than the one second for which a check's answer serves every request. */
const afterTheCache = () => new Promise((resolve) => setTimeout(resolve, 1100));

/**
 * PostgreSQL and MariaDB are reached through a proxy, which counts the pings
 * that really reach the database and can take the database away. SQLite is in
 * the process: its pings are counted on the DataSource, and it is taken away
 * by closing the DataSource.
 */
async function startServer(
  platform: TestPlatform,
  databaseKind: string,
  env: Record<string, string> = {},
) {
  let proxy: FaultProxy | undefined;
  const server = await startTestServer(platform, databaseKind, {
    env,
    routeDatabase: async (url) =>
      databaseKind === 'sqlite'
        ? url
        : (proxy = await FaultProxy.start(url)).url,
  });
  const queries = proxy ? undefined : jest.spyOn(server.dataSource, 'query');
  return {
    server,
    pingsSoFar: () =>
      proxy?.timesSent('SELECT 1') ??
      queries!.mock.calls.filter(([sql]) => sql === 'SELECT 1').length,
    takeTheDatabaseAway: async () =>
      proxy ? proxy.stop() : server.dataSource.destroy(),
    close: async () => {
      await proxy?.stop();
      await server.close();
    },
  };
}

describe.each(testPlatformsAndDatabases())(
  'GET /health (%s, %s)',
  (platform, databaseKind) => {
    let started: Awaited<ReturnType<typeof startServer>>;
    let server: TestServer;
    beforeEach(async () => {
      started = await startServer(platform, databaseKind, {
        TRUST_PROXY: 'true',
      });
      server = started.server;
    });
    afterEach(() => started.close());

    const health = (from = '198.51.100.1') =>
      request(server.http).get('/health').set('X-Forwarded-For', from);

    it('says which dependency is down, never why: the reason goes to the log', async () => {
      await health().expect(200, up);
      await started.takeTheDatabaseAway();
      await afterTheCache();
      const res = await health().expect(503, down);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      const logged = server.logs.lines.find((line) =>
        line.includes('Health Check has failed!'),
      );
      expect(logged).toMatch(/"message":"[^"]+"/);
      const reason = JSON.parse(logged!.slice(logged!.indexOf('{'))).database
        .message;
      expect(res.text).not.toContain(reason);
    });

    it('asks the database at most once a second, however many ask, and asks again after that second', async () => {
      await afterTheCache();
      const before = started.pingsSoFar();
      const answers = await Promise.all(
        Array.from({ length: 30 }, () => health()),
      );
      expect(answers.map((res) => res.status)).toEqual(Array(30).fill(200));
      expect(started.pingsSoFar() - before).toBe(1);
      await afterTheCache();
      await health().expect(200, up);
      expect(started.pingsSoFar() - before).toBe(2);
    });

    it('answers 429 with Retry-After past 60 requests a minute from one address, and other addresses still get through', async () => {
      for (let i = 0; i < 60; i++) await health().expect(200);
      const limited = await health().expect(429);
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      expect(limited.headers['content-type']).toMatch(/^application\/json/);
      await health('198.51.100.2').expect(200, up);
    });
  },
);
