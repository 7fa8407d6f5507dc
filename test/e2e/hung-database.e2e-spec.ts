import request from 'supertest';
import { FaultProxy } from '../support/fault-proxy';
import { describeEachNetworkedDatabase } from '../support/databases';
import { newUser, requestToken } from '../support/flow';
import { eventually } from '../support/eventually';
import { startTestServer, TestServer } from '../support/harness';

/**
 * A database that accepts connections and then says nothing more: the server
 * reaches PostgreSQL or MariaDB through a proxy that can go silent. SQLite is
 * a file inside the process and cannot hang like that, so it is not run here.
 * The database's timeouts are the subject, not HTTP: Express only.
 */

/** The server gives up on the database after 5 s (DATABASE_TIMEOUT_MS); a request queued behind one that timed out can wait twice that. */
const ANSWER_WITHIN_MS = 10_000;

describeEachNetworkedDatabase(
  'a database that stops answering (%s)',
  (databaseKind) => {
    let proxy: FaultProxy;
    let server: TestServer;
    let token: string;

    beforeAll(async () => {
      server = await startTestServer('express', databaseKind, {
        routeDatabase: async (url) => (proxy = await FaultProxy.start(url)).url,
      });
      const user = await newUser(server);
      token = await requestToken(server, user.username, user.email);
    });
    afterAll(async () => {
      // Closes the dead connections' far ends too, so that the database can be dropped.
      await proxy?.stop();
      await server?.close();
    });

    const lostPassword = (username = 'someone') =>
      request(server.http).post('/auth/lostPassword').send({ username });
    const check = () =>
      request(server.http).post('/auth/resetPassword/check').send({ token });

    it('answers every route with a 503 within seconds, JSON for the API, while the database is silent', async () => {
      // TypeORM prints the statements that time out; what clients typed must not be printed with them.
      const printed = [
        jest.spyOn(console, 'log').mockImplementation(),
        jest.spyOn(console, 'warn').mockImplementation(),
      ];
      const typed = 'typed-while-the-database-hangs';
      proxy.blackHole();
      const routes: Record<string, () => request.Test> = {
        'POST /auth/lostPassword': () => lostPassword(typed),
        'POST /auth/resetPassword': () =>
          request(server.http)
            .post('/auth/resetPassword')
            .send({ token, password: 'quiet lantern orbit 1987 meadow' }),
        'POST /auth/resetPassword/check': check,
        'GET /auth/resetPassword': () =>
          request(server.http).get('/auth/resetPassword').query({ token }),
        'GET /health': () => request(server.http).get('/health'),
      };
      try {
        const answers = await Promise.all(
          Object.entries(routes).map(async ([route, send]) => ({
            route,
            res: await send().timeout(ANSWER_WITHIN_MS),
          })),
        );
        for (const { route, res } of answers) {
          expect({ route, status: res.status }).toEqual({ route, status: 503 });
          expect(res.headers['content-type']).toMatch(
            route.startsWith('GET /auth')
              ? /^text\/html/
              : /^application\/json/,
          );
          if (route.startsWith('POST'))
            expect(res.body).toMatchObject({
              statusCode: 503,
              error: 'Service Unavailable',
              code: 'unavailable',
            });
        }
        const output = [
          ...server.logs.lines,
          ...printed.flatMap((spy) => spy.mock.calls.flat()),
        ].join('\n');
        expect(output).not.toContain(typed);
        expect(output).not.toContain(token);
      } finally {
        printed.forEach((spy) => spy.mockRestore());
      }
    }, 30_000);

    it('recovers without a restart once the database answers again, and lets go of the dead connections', async () => {
      proxy.heal();
      // The connections opened before are still dead: each may fail one request, after which it is dropped.
      await eventually(async () => {
        const statuses = await Promise.all(
          Array.from({ length: 10 }, () =>
            check()
              .timeout(ANSWER_WITHIN_MS)
              .then((res) => res.status),
          ),
        );
        expect(statuses).toEqual(Array(10).fill(200));
        expect(proxy.deadConnections).toBe(0);
      }, 30_000);
      await lostPassword().timeout(ANSWER_WITHIN_MS).expect(200, {});
    }, 45_000);
  },
);
