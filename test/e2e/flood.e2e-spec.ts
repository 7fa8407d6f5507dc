import request from 'supertest';
import type { PasswordResetUserStore } from '../../src/password-reset/interfaces/password-reset-user-store.interface';
import { ResetRequestInbox } from '../../src/password-reset/requests/reset-request-inbox.service';
import { testDatabases } from '../support/databases';
import { startTestServer, TestServer } from '../support/harness';

const FLOOD = 20_000;

/**
 * A flood of requests for names nobody has (the per-IP limit bypassed through
 * many addresses) must not make a real user's mail wait behind it: the worker
 * resolves identifiers in bulk, one query per batch.
 */
// The worker's bulk lookups are the subject, not HTTP: Express only.
describe.each(testDatabases())(
  'a flood of requests for unknown names (%s)',
  (databaseKind) => {
    let server: TestServer;
    const lookups = { one: 0, bulkSizes: [] as number[] };

    beforeAll(async () => {
      // The standalone store, counted: how many lookups did the flood cost?
      const countingStore: PasswordResetUserStore = {
        findByIdentifier: (identifier) => (
          (lookups.one += 1),
          server.users.findByIdentifier(identifier)
        ),
        findManyByIdentifiers: (identifiers) => (
          lookups.bulkSizes.push(identifiers.length),
          server.users.findManyByIdentifiers(identifiers)
        ),
        findById: (id) => server.users.findById(id),
        setPassword: (id, password) => server.users.setPassword(id, password),
      };
      server = await startTestServer('express', databaseKind, {
        moduleOverrides: { userStore: countingStore },
      });
      await server.users.add(
        'erin',
        'erin@example.com',
        'correct horse battery staple',
      );
    });
    afterAll(() => server.close());

    it("delivers a real user's mail from behind the flood, having resolved the flood in bulk", async () => {
      const inbox = server.app.get(ResetRequestInbox);
      await Promise.all(
        Array.from({ length: FLOOD }, (_, i) => inbox.record(`flood-${i}`)),
      );
      await request(server.http)
        .post('/auth/lostPassword')
        .send({ username: 'erin' })
        .expect(200, {});
      await server.smtp.waitForMails('erin@example.com', 1, 30_000);
      await server.settle();
      // Every name looked up once, in bulk, at most 500 to a query; how many
      // queries depends on how the flood's commits fell between the worker's batches.
      expect(lookups.one).toBe(0);
      expect(lookups.bulkSizes.reduce((sum, size) => sum + size, 0)).toBe(
        FLOOD + 1,
      );
      expect(Math.max(...lookups.bulkSizes)).toBeLessThanOrEqual(500);
      expect(server.smtp.mails).toHaveLength(1);
    });
  },
);
