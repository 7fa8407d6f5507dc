import Redis from 'ioredis';
import request from 'supertest';
import { testPlatforms, testPlatformsAndDatabases } from '../support/platforms';
import { newUser } from '../support/flow';
import { FaultProxy } from '../support/fault-proxy';
import {
  startTestServer,
  TestServer,
  TEST_RESET_URL,
} from '../support/harness';
import { nestedJson } from '../support/nested-json';

const lostPassword = (server: TestServer, username: string) =>
  request(server.http).post('/auth/lostPassword').send({ username });

describe.each(testPlatformsAndDatabases())(
  'abuse resistance (%s, %s)',
  (platform, databaseKind) => {
    describe('per-IP limits', () => {
      let server: TestServer;
      beforeAll(async () => {
        server = await startTestServer(platform, databaseKind, {
          env: { IP_RATE_LIMIT: '3', RESET_IP_RATE_LIMIT: '2' },
        });
      });
      afterAll(() => server.close());

      it('answers the request after the limit with 429, Retry-After and a JSON error; the routes that take a token count apart', async () => {
        for (let i = 0; i < 3; i++)
          await lostPassword(server, `nobody-${i}`).expect(200);
        const limited = await lostPassword(server, 'nobody-else').expect(429);
        expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
        expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
        expect(limited.body).toEqual({
          statusCode: 429,
          error: 'Too Many Requests',
          message: expect.any(String),
          code: 'too_many_requests',
        });

        // A forged X-Forwarded-For changes nothing: the proxy is not trusted by default.
        await request(server.http)
          .post('/auth/lostPassword')
          .set('X-Forwarded-For', '203.0.113.9')
          .send({ username: 'x' })
          .expect(429);

        for (let i = 0; i < 2; i++)
          await request(server.http)
            .post('/auth/resetPassword')
            .send({ token: 'x', password: 'y' })
            .expect(400);
        await request(server.http)
          .post('/auth/resetPassword')
          .send({ token: 'x', password: 'y' })
          .expect(429);
        for (let i = 0; i < 2; i++)
          await request(server.http)
            .post('/auth/resetPassword/check')
            .send({ token: 'x' })
            .expect(400);
        await request(server.http)
          .post('/auth/resetPassword/check')
          .send({ token: 'x' })
          .expect(429);
        for (let i = 0; i < 2; i++)
          await request(server.http)
            .get('/auth/resetPassword?token=x')
            .expect(200);
        const page = await request(server.http)
          .get('/auth/resetPassword?token=x')
          .expect(429);
        expect(page.headers['content-type']).toMatch(/^text\/html/);
        expect(Number(page.headers['retry-after'])).toBeGreaterThan(0);
      });
    });

    describe('TRUST_PROXY=true', () => {
      let server: TestServer;
      beforeAll(async () => {
        server = await startTestServer(platform, databaseKind, {
          env: { IP_RATE_LIMIT: '2', TRUST_PROXY: 'true' },
        });
      });
      afterAll(() => server.close());

      it('counts each client address the trusted proxy names', async () => {
        const from = (ip: string) =>
          request(server.http)
            .post('/auth/lostPassword')
            .set('X-Forwarded-For', ip)
            .send({ username: 'x' });
        await from('198.51.100.1').expect(200);
        await from('198.51.100.1').expect(200);
        await from('198.51.100.1').expect(429);
        await from('198.51.100.2').expect(200);
      });
    });

    describe('the account, the identifier and the link', () => {
      let server: TestServer;
      beforeAll(async () => {
        server = await startTestServer(platform, databaseKind);
      });
      afterAll(() => server.close());
      beforeEach(() => server.smtp.mails.splice(0));

      it('limits mails per account silently: the same 200 {}, no mail past 3 an hour', async () => {
        const user = await newUser(server);
        for (let i = 0; i < 6; i++)
          await lostPassword(server, user.username).expect(200, {});
        await server.settle();
        expect(server.smtp.mailsTo(user.email)).toHaveLength(3);
        server.clock.advance(61 * 60 * 1000);
        try {
          await lostPassword(server, user.username).expect(200, {});
          await server.smtp.waitForMails(user.email, 4);
        } finally {
          server.clock.advance(-61 * 60 * 1000);
        }
      });

      it('keeps the per-account limit when a flood of requests for one account is processed together', async () => {
        const user = await newUser(server);
        for (let i = 0; i < 2; i++)
          await lostPassword(server, user.username).expect(200, {});
        await server.settle();
        expect(server.smtp.mailsTo(user.email)).toHaveLength(2);
        await Promise.all(
          Array.from({ length: 10 }, () =>
            lostPassword(server, user.username).expect(200, {}),
          ),
        );
        await server.settle();
        expect(server.smtp.mailsTo(user.email)).toHaveLength(3);
      });

      it('builds the link from RESET_URL only, whatever Host, X-Forwarded-Host or Origin say', async () => {
        const user = await newUser(server);
        await request(server.http)
          .post('/auth/lostPassword')
          .set('Host', 'evil.example')
          .set('X-Forwarded-Host', 'evil.example')
          .set('X-Forwarded-Proto', 'http')
          .set('Origin', 'https://evil.example')
          .send({ username: user.username })
          .expect(200, {});
        const [mail] = await server.smtp.waitForMails(user.email);
        expect(mail.parsed.text).toContain(`${TEST_RESET_URL}?token=`);
        expect(`${mail.parsed.text}${mail.parsed.html}`).not.toContain(
          'evil.example',
        );
      });

      it('matches identifiers after NFKC and e-mail case folding, and look-alikes never match', async () => {
        await server.users.add(
          'alice',
          'alice@example.com',
          'correct horse battery staple',
        );
        await server.users.add(
          'ilse',
          'ilse@example.com',
          'correct horse battery staple',
        );
        const lookAlikes = [
          'al\u0131ce', // dotless i
          'AL\u0130CE'.toLowerCase(), // dotted capital I, lowered: i + combining dot
          'a\u0301lice', // combining acute
          'alice\u200b', // zero-width space
          '\u200dalice', // zero-width joiner
          'аlice', // Cyrillic а
          'Alice', // usernames are not case-folded
          'alice@example.com,mallory@evil.example',
          'alice@example.com mallory@evil.example',
          'mallory@evil.example;alice@example.com',
          '"alice@example.com"@evil.example',
          '\u0131lse',
        ];
        for (const identifier of lookAlikes)
          await lostPassword(server, identifier).expect(200, {});
        await server.settle();
        expect(server.smtp.mails).toEqual([]);

        for (const identifier of [
          'ＡＬＩＣＥ@ＥＸＡＭＰＬＥ.ＣＯＭ',
          'ALICE@example.com',
          'ａｌｉｃｅ',
        ])
          await lostPassword(server, identifier).expect(200, {});
        await server.settle();
        expect(server.smtp.mails.map((mail) => mail.to)).toEqual([
          ['alice@example.com'],
          ['alice@example.com'],
          ['alice@example.com'],
        ]);
      });

      it('refuses control characters and NUL bytes, which could smuggle headers', async () => {
        for (const identifier of [
          'alice@example.com\r\nBcc: mallory@evil.example',
          'alice\u0000',
          'ali\u0007ce',
          'alice\u009b',
        ]) {
          const res = await lostPassword(server, identifier).expect(400);
          expect(res.body.code).toBe('invalid_request');
        }
        await server.settle();
        expect(server.smtp.mails).toEqual([]);
      });

      it('puts security headers on every response', async () => {
        for (const res of [
          await lostPassword(server, 'nobody'),
          await request(server.http).get('/health'),
          await request(server.http).get('/no/such/route'),
          await request(server.http)
            .post('/auth/lostPassword')
            .type('json')
            .send('{'),
        ]) {
          expect(res.headers['x-content-type-options']).toBe('nosniff');
          // HSTS means nothing over plain HTTP (RFC 6797 §7.2); the HTTPS suite checks it is there over TLS.
          expect(res.headers['strict-transport-security']).toBeUndefined();
          expect(res.headers['x-powered-by']).toBeUndefined();
          expect(res.headers['content-type']).toMatch(/json/);
        }
      });
    });
  },
);

// Where the counters are kept is the subject here, not HTTP: Express only.
describe('REDIS_URL: limits shared by every instance', () => {
  const REDIS_URL = 'redis://127.0.0.1:6379/15';
  let slowRedis: FaultProxy;
  let first: TestServer;
  let second: TestServer;

  beforeAll(async () => {
    const redis = new Redis(REDIS_URL);
    await redis.flushdb();
    redis.disconnect();
    // The second instance's Redis answers slowly, so its client is still connecting while that server starts.
    slowRedis = await FaultProxy.start(REDIS_URL);
    slowRedis.latencyMs = 300;
    const limit = { IP_RATE_LIMIT: '4' };
    first = await startTestServer('express', 'sqlite', {
      env: { REDIS_URL, ...limit },
    });
    second = await startTestServer('express', 'sqlite', {
      env: { REDIS_URL: slowRedis.url, ...limit },
    });
  });
  afterAll(async () => {
    await first.close();
    await second.close();
    await slowRedis.stop();
  });

  it('counts requests to both instances against one limit, from the first on', async () => {
    await lostPassword(second, 'a').expect(200);
    await lostPassword(first, 'b').expect(200);
    await lostPassword(second, 'c').expect(200);
    await lostPassword(first, 'd').expect(200);
    await lostPassword(first, 'e').expect(429);
    await lostPassword(second, 'f').expect(429);
    for (const server of [first, second])
      expect(server.logs.lines.join('\n')).not.toMatch(/counting locally/);
  });
});

describe('REDIS_URL pointing at a Redis that is down', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer('express', 'sqlite', {
      env: { REDIS_URL: 'redis://127.0.0.1:1/0', IP_RATE_LIMIT: '2' },
    });
  });
  afterAll(() => server.close());

  it('keeps answering, keeps limiting in memory, and says so in the log', async () => {
    await lostPassword(server, 'a').expect(200, {});
    await lostPassword(server, 'b').expect(200, {});
    await lostPassword(server, 'c').expect(429);
    expect(server.logs.lines.join('\n')).toMatch(
      /Shared rate-limit store failed, counting locally/,
    );
  });
});

const invalidBody = {
  statusCode: 400,
  error: 'Bad Request',
  message: 'request body is malformed: nested deeper than 2 levels',
  code: 'invalid_body',
};

describe.each(testPlatforms())(
  'deeply nested bodies, from the first request of a fresh server on (%s)',
  (platform) => {
    // Each case starts its own server: the stack overflowed only while the code was not yet optimised.
    it.each([
      [1500, 'arrays'],
      [1500, 'objects'],
    ] as const)(
      'refuses JSON %i levels deep in %s with 400 invalid_body, every time',
      async (levels, shape) => {
        const server = await startTestServer(platform, 'sqlite');
        try {
          for (let i = 0; i < 3; i++) {
            const res = await request(server.http)
              .post('/auth/lostPassword')
              .type('json')
              .send(nestedJson(levels, shape));
            expect(res.body).toEqual(invalidBody);
          }
          await request(server.http)
            .post('/auth/resetPassword/check')
            .type('json')
            .send(`{"token":${nestedJson(levels, shape)}}`)
            .expect(400, invalidBody);
        } finally {
          await server.close();
        }
      },
    );

    it('answers 100000 levels with 413, since the body is over 8 kB, and allows one level of nesting', async () => {
      const server = await startTestServer(platform, 'sqlite');
      try {
        const res = await request(server.http)
          .post('/auth/lostPassword')
          .type('json')
          .send(nestedJson(100_000, 'arrays'))
          .expect(413);
        expect(res.body.code).toBe('payload_too_large');
        const oneLevel = await request(server.http)
          .post('/auth/lostPassword')
          .send({ username: ['a'] })
          .expect(400);
        expect(oneLevel.body).toMatchObject({
          code: 'invalid_request',
          message: expect.stringMatching(/username must be a string/),
        });
      } finally {
        await server.close();
      }
    });

    it('takes form keys with brackets literally: x[a][a]… is an unknown field, not nesting', async () => {
      const server = await startTestServer(platform, 'sqlite');
      try {
        const res = await request(server.http)
          .post('/auth/lostPassword')
          .type('form')
          .send(`username=a&x${'[a]'.repeat(500)}=1`)
          .expect(400);
        expect(res.body).toMatchObject({
          code: 'invalid_request',
          message: expect.stringMatching(/should not exist/),
        });
      } finally {
        await server.close();
      }
    });
  },
);
