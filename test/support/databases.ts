import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';

/**
 * The databases e2e suites run against: TEST_DATABASES, a comma-separated list
 * of sqlite, postgres and mariadb (default sqlite). CI runs all three.
 */
export function testDatabases(): string[] {
  return (process.env.TEST_DATABASES ?? 'sqlite')
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
}

/** The chosen databases that run as servers (and so can be shared, cut off or hung): postgres and mariadb. */
export function networkedTestDatabases(): string[] {
  return testDatabases().filter((kind) => kind !== 'sqlite');
}

/**
 * `describe.each` over the networked databases. With none chosen (the default
 * `npm test` runs SQLite only) the suite is one skipped test that says what it needs, so the run still passes.
 */
export function describeEachNetworkedDatabase(
  title: string,
  suite: (databaseKind: string) => void,
): void {
  const kinds = networkedTestDatabases();
  if (kinds.length === 0) {
    describe(title.replace(/ \(%s\)$/, ''), () => {
      it.skip('needs postgres or mariadb in TEST_DATABASES, such as TEST_DATABASES=sqlite,postgres,mariadb', () =>
        undefined);
    });
    return;
  }
  describe.each(kinds)(title, suite);
}

const servers: Record<
  string,
  { admin: string; url: (name: string) => string }
> = {
  postgres: {
    admin:
      process.env.TEST_POSTGRES_URL ??
      'postgres://postgres@127.0.0.1:5432/test',
    url: (name) =>
      `${(process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test').replace(/\/[^/]*$/, '')}/${name}`,
  },
  mariadb: {
    admin: process.env.TEST_MARIADB_URL ?? 'mysql://root@127.0.0.1:3306/test',
    url: (name) =>
      `${(process.env.TEST_MARIADB_URL ?? 'mysql://root@127.0.0.1:3306/test').replace(/\/[^/]*$/, '')}/${name}`,
  },
};

/** A fresh, empty database of that kind; `drop` removes it. */
export async function createTestDatabase(
  kind: string,
): Promise<{ url: string; drop: () => Promise<void> }> {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'password-reset-'));
    return {
      url: `sqlite:${join(dir, 'test.sqlite')}`,
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const server = servers[kind];
  if (!server) throw new Error(`unknown test database ${kind}`);
  const name = `pr_test_${randomBytes(6).toString('hex')}`;
  const admin = new DataSource(
    kind === 'postgres'
      ? { type: 'postgres', url: server.admin }
      : { type: 'mysql', url: server.admin },
  );
  await admin.initialize();
  await admin.query(`CREATE DATABASE ${name}`);
  return {
    url: server.url(name).replace(/^mysql:/, 'mariadb:'),
    drop: async () => {
      await admin.query(`DROP DATABASE ${name}`);
      await admin.destroy();
    },
  };
}
