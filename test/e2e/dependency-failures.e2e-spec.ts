import request from 'supertest';
import { testPlatformsAndDatabases } from '../support/platforms';
import { startTestServer, TestServer } from '../support/harness';

describe.each(testPlatformsAndDatabases())(
  'when the database is gone (%s, %s)',
  (platform, databaseKind) => {
    let server: TestServer;

    beforeAll(async () => {
      server = await startTestServer(platform, databaseKind);
      await server.dataSource.destroy();
    });
    afterAll(() => server.close());

    it('says so plainly: 503 JSON for a request it could not record, 503 from /health', async () => {
      const res = await request(server.http)
        .post('/auth/lostPassword')
        .send({ username: 'alice' })
        .expect(503);
      expect(res.body).toEqual({
        statusCode: 503,
        error: 'Service Unavailable',
        message: expect.stringMatching(/could not be recorded/),
        code: 'unavailable',
      });
      await request(server.http).get('/health').expect(503);
    });
  },
);
