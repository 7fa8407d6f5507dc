import fc from 'fast-check';
import request from 'supertest';
import { testPlatformsAndDatabases } from '../support/platforms';
import { startTestServer, TestServer } from '../support/harness';
import { CONTENT_TYPES, POST_ROUTES } from '../support/request-shapes';

const ACCEPTS = [
  '*/*',
  'application/json',
  'text/html',
  'text/html,application/xhtml+xml,*/*;q=0.8',
  'image/png',
  '',
];
const KEYS = [
  'username',
  'token',
  'password',
  '__proto__',
  'constructor',
  'prototype',
  'admin',
  'username[]',
  'username[a]',
];

/** Values a client could put where a string belongs. */
const fieldValue = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom(
    'alice',
    'ALICE@EXAMPLE.COM',
    'ａｌｉｃｅ',
    'al\u0131ce',
    'a'.repeat(300),
    '',
    '   ',
    '\u0000',
    'x.y.z',
  ),
  fc.jsonValue({ maxDepth: 2 }),
);

const jsonBody = fc.oneof(
  fc
    .dictionary(fc.constantFrom(...KEYS), fieldValue, { maxKeys: 4 })
    .map((body) => JSON.stringify(body)),
  fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)),
  fc.string({ maxLength: 60 }),
  fc.constantFrom(
    '{"username":"alice"}',
    '{"username":"ＡＬＩＣＥ@EXAMPLE.COM"}',
    '{"username":"mallory@evil.example"}',
    '{',
    '{"username":',
    '{"__proto__":{"polluted":1},"username":"a"}',
    '{"constructor":{"prototype":{}}}',
    'null',
    '[]',
    '"x"',
  ),
);

const formBody = fc.oneof(
  fc
    .array(fc.tuple(fc.constantFrom(...KEYS), fc.string({ maxLength: 30 })), {
      maxLength: 4,
    })
    .map((pairs) =>
      pairs
        .map(
          ([key, value]) =>
            `${encodeURIComponent(key)}=${encodeURIComponent(value)}`,
        )
        .join('&'),
    ),
  fc.string({ maxLength: 60 }),
  fc.constantFrom(
    'username=alice',
    'username=alice%40example.com',
    'username=%ZZ',
    'username=%',
    'username=%E0%A4%A',
    '__proto__=x&username=a',
    'username=a&username=b',
    'username=' + 'x'.repeat(9000),
  ),
);

describe.each(testPlatformsAndDatabases())(
  'fuzzing the POST routes (%s, %s)',
  (platform, databaseKind) => {
    let server: TestServer;
    const STORED_ADDRESS = 'alice@example.com';

    beforeAll(async () => {
      server = await startTestServer(platform, databaseKind);
      await server.users.add(
        'alice',
        STORED_ADDRESS,
        'correct horse battery staple',
      );
    });
    afterAll(() => server.close());

    it('never answers 5xx or a stack trace, always a JSON error for a 4xx, keeps answering, and mails only the stored address', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...POST_ROUTES),
          fc.constantFrom(...CONTENT_TYPES),
          fc.constantFrom(...ACCEPTS),
          fc.oneof(jsonBody, formBody),
          async (route, contentType, accept, body) => {
            let call = request(server.http).post(route).set('Accept', accept);
            if (contentType) call = call.set('Content-Type', contentType);
            const res = await call.send(body);
            expect(res.status).toBeLessThan(500);
            expect(res.text).not.toMatch(/node_modules|\.ts:\d+|at \w+ \(/);
            if (
              res.status >= 400 &&
              !res.headers['content-type']?.startsWith('text/html')
            ) {
              expect(res.headers['content-type']).toMatch(/^application\/json/);
              expect(res.body).toMatchObject({
                statusCode: res.status,
                error: expect.any(String),
                message: expect.any(String),
                code: expect.any(String),
              });
            }
            expect(({} as Record<string, unknown>).polluted).toBeUndefined();
          },
        ),
        { numRuns: 400 },
      );
      await request(server.http).get('/health').expect(200);
      await server.settle();
      for (const mail of server.smtp.mails)
        expect(mail.to).toEqual([STORED_ADDRESS]);
    });
  },
);
