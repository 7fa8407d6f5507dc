import { DataSource } from 'typeorm';
import { databaseOptions } from '../../src/standalone/database/database-options';
import { runMigrationsInTurn } from '../../src/standalone/database/migrations-in-turn';
import { PASSWORD_RESET_MIGRATIONS } from '../../src/password-reset/password-reset.migrations';
import { CreateUsers1764201600001 } from '../../src/standalone/users/migrations/1764201600001-create-users';
import { createTestDatabase, testDatabases } from '../support/databases';
import { ServerProcess } from '../support/server-process';

const ALL_MIGRATIONS = [...PASSWORD_RESET_MIGRATIONS, CreateUsers1764201600001]
  .map((migration) => migration.name)
  .sort();

/** The rows of a table of the database, by a connection of the test's own. */
async function rowsOf(
  url: string,
  sql: string,
): Promise<Record<string, unknown>[]> {
  const dataSource = await new DataSource({
    ...databaseOptions(url),
    logging: false,
  }).initialize();
  try {
    return await dataSource.query(sql);
  } finally {
    await dataSource.destroy();
  }
}

const executedMigrations = async (url: string) =>
  (await rowsOf(url, 'SELECT name FROM migrations'))
    .map((row) => String(row.name))
    .sort();

describe.each(testDatabases())('migrations (%s)', (databaseKind) => {
  it('build exactly the schema the entities describe, and can all be reverted', async () => {
    const database = await createTestDatabase(databaseKind);
    const dataSource = await runMigrationsInTurn(
      await new DataSource(databaseOptions(database.url)).initialize(),
    );
    try {
      const pending = await dataSource.driver.createSchemaBuilder().log();
      expect(pending.upQueries.map((query) => query.query)).toEqual([]);
      for (const _ of dataSource.migrations)
        await dataSource.undoLastMigration();
      expect(await dataSource.showMigrations()).toBe(true);
    } finally {
      await dataSource.destroy();
      await database.drop();
    }
  });

  it('run once when three servers start at once on a new database: the others wait for them instead of failing', async () => {
    const database = await createTestDatabase(databaseKind);
    const servers = await Promise.all(
      [1, 2, 3].map(() =>
        ServerProcess.create({
          DATABASE_URL: database.url,
          JWT_SECRET: 'migrations-test-secret-migrations-test-secret',
        }),
      ),
    );
    try {
      await Promise.all(servers.map((server) => server.start(60000)));
      // TypeORM's connection retry would hide a failed first attempt; none may have happened.
      for (const server of servers)
        expect(server.output).not.toMatch(/failed|Unable to connect/i);
      expect(await executedMigrations(database.url)).toEqual(ALL_MIGRATIONS);
    } finally {
      await Promise.all(servers.map((server) => server.stop()));
      await database.drop();
    }
  }, 90000);

  it('run once when three `users add` start at once on a new database, and each adds its user', async () => {
    const database = await createTestDatabase(databaseKind);
    const cli = await ServerProcess.create({ DATABASE_URL: database.url });
    try {
      await Promise.all(
        ['ana', 'ben', 'cleo'].map((name) =>
          cli.addUserAsync(
            name,
            `${name}@example.com`,
            'correct horse battery staple',
          ),
        ),
      );
      expect(await executedMigrations(database.url)).toEqual(ALL_MIGRATIONS);
      expect(
        (
          await rowsOf(
            database.url,
            'SELECT username FROM users ORDER BY username',
          )
        ).map((row) => row.username),
      ).toEqual(['ana', 'ben', 'cleo']);
    } finally {
      await database.drop();
    }
  }, 90000);
});
