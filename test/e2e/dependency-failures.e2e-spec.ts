import { MountedHost, mountedHost } from '../support/host-app';
import { testPlatformsAndDatabases } from '../support/platforms';

describe.each(testPlatformsAndDatabases())(
  'when the database is gone (%s, %s)',
  (platform, databaseKind) => {
    let host: MountedHost;

    beforeAll(async () => {
      host = await mountedHost({ platform, database: { kind: databaseKind } });
      await host.dataSource.destroy();
    });
    afterAll(() => host.close());

    it('says so plainly: 503 JSON for a request it could not record', async () => {
      const res = await host
        .post('/auth/lostPassword')
        .send({ username: 'alice' })
        .expect(503);
      expect(res.body).toEqual({
        statusCode: 503,
        error: 'Service Unavailable',
        message: expect.stringMatching(/could not be recorded/),
        code: 'unavailable',
      });
    });
  },
);
