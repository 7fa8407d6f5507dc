import request from 'supertest';
import { startTestServer, TestServer } from '../support/harness';
import { CONTENT_TYPES, POST_ROUTES } from '../support/request-shapes';
import { nestedJson } from '../support/nested-json';

const BODIES = [
  '',
  '{}',
  '[]',
  '[{"username":"a"}]',
  'null',
  '{',
  '{"username":"a"}',
  '{"token":"a","password":"b"}',
  '{"username":"a","x":1}',
  '{"__proto__":{}}',
  '{"username":"a","constructor":{}}',
  nestedJson(3, 'objects'),
  'username=a',
  'token=a&password=b&passwordConfirmation=c',
  'username=%ZZ',
  'username=a&username=b',
  '__proto__=x&username=a',
  Array.from({ length: 11 }, (_, i) => `k${i}=1`).join('&'),
  `username=${'x'.repeat(9000)}`,
];
const ACCEPTS = [
  'application/json',
  'text/html,application/xhtml+xml,*/*;q=0.8',
];
/** Express adds an ETag to every body; the rest of each answer is the module's, or Nest's. */
const PLATFORM_HEADERS = new Set(['date', 'etag', 'connection', 'keep-alive']);

async function answer(
  server: TestServer,
  send: (http: TestServer['http']) => request.Test,
) {
  const res = await send(server.http);
  return {
    status: res.status,
    body: res.text,
    headers: Object.fromEntries(
      Object.entries(res.headers).filter(
        ([name]) => !PLATFORM_HEADERS.has(name),
      ),
    ),
  };
}

/**
 * The same requests to the standalone server on Express and on Fastify get
 * the same answers, byte for byte, with the same headers: bodies of every kind,
 * well-formed or not, API clients and browsers, the pages, and a 404.
 */
describe('Express and Fastify', () => {
  // Hundreds of request pairs, one after another: minutes on a loaded machine.
  jest.setTimeout(300_000);
  let express: TestServer;
  let fastify: TestServer;
  beforeAll(async () => {
    [express, fastify] = await Promise.all([
      startTestServer('express', 'sqlite'),
      startTestServer('fastify', 'sqlite'),
    ]);
  });
  afterAll(() => Promise.all([express.close(), fastify.close()]));

  async function expectSameAnswers(
    send: (http: TestServer['http']) => request.Test,
  ): Promise<{ status: number }> {
    const onExpress = await answer(express, send);
    expect(await answer(fastify, send)).toEqual(onExpress);
    return onExpress;
  }

  it('answer every POST to the module the same', async () => {
    for (const route of POST_ROUTES) {
      for (const contentType of CONTENT_TYPES) {
        for (const body of BODIES) {
          for (const accept of ACCEPTS)
            await expectSameAnswers((http) =>
              request(http)
                .post(route)
                .set('Content-Type', contentType)
                .set('Accept', accept)
                .send(body),
            );
        }
      }
    }
    await expectSameAnswers((http) => request(http).post('/auth/lostPassword'));
  });

  it('serve the same pages, and the same 404', async () => {
    for (const path of [
      '/auth/lostPassword',
      '//auth/lostPassword',
      '/auth/resetPassword?token=x',
      '/auth/resetPassword?token=a&token=b',
      '/no/such/route',
    ]) {
      await expectSameAnswers((http) => request(http).get(path));
    }
  });

  it("match paths by one rule: exact case, no trailing slash, no percent-encoding; the API document's //auth/lostPassword works", async () => {
    const elsewhere = [
      '/AUTH/lostPassword',
      '/auth/LostPassword',
      '/auth/lostPassword/',
      '//auth/lostPassword/',
      '/auth/lost%50assword',
      '/auth/lost%70assword',
      '/auth%2FlostPassword',
      '/auth//lostPassword',
      '/auth/resetPassword/check/',
      '/auth/resetPassword/?token=x',
      '/HEALTH',
      '/health/',
    ];
    for (const path of elsewhere) {
      expect(
        await expectSameAnswers((http) => request(http).get(path)),
      ).toMatchObject({ status: 404 });
      expect(
        await expectSameAnswers((http) =>
          request(http).post(path).send({ username: 'a' }),
        ),
      ).toMatchObject({ status: 404 });
      expect(
        await expectSameAnswers((http) =>
          request(http).post(path).type('form').send('username=a'),
        ),
      ).toMatchObject({ status: 404 });
    }
    for (const path of ['/auth/lostPassword', '//auth/lostPassword']) {
      expect(
        await expectSameAnswers((http) =>
          request(http).post(path).send({ username: 'a' }),
        ),
      ).toMatchObject({ status: 200 });
      expect(
        await expectSameAnswers((http) => request(http).get(path)),
      ).toMatchObject({ status: 200 });
    }
  });

  it('answer other methods the same, whatever content type they say they carry', async () => {
    for (const method of ['options', 'put', 'patch', 'delete'] as const) {
      for (const contentType of [
        undefined,
        'application/json',
        'application/x-www-form-urlencoded',
        'text/plain',
      ]) {
        for (const body of [undefined, '', '{}', '{']) {
          await expectSameAnswers((http) => {
            const test = request(http)[method]('/auth/lostPassword');
            if (contentType) test.set('Content-Type', contentType);
            return body === undefined ? test : test.send(body);
          });
        }
      }
    }
  });
});
