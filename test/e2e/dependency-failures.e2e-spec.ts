import request from 'supertest';
import { testDatabases } from '../support/databases';
import { startTestServer, TestServer } from '../support/harness';

describe.each(testDatabases())('when the database is gone (%s)', (databaseKind) => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer(databaseKind);
    await server.dataSource.destroy();
  });
  afterAll(() => server.close());

  it('says so plainly: 503 JSON for a request it could not record, 503 from /health', async () => {
    const res = await request(server.http).post('/auth/lostPassword').send({ username: 'alice' }).expect(503);
    expect(res.body).toEqual({ statusCode: 503, error: 'Service Unavailable', message: expect.stringMatching(/could not be recorded/), code: 'unavailable' });
    await request(server.http).get('/health').expect(503);
  });
});
