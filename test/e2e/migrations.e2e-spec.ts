import { DataSource } from 'typeorm';
import { databaseOptions } from '../../src/database/database-options';
import { createTestDatabase, testDatabases } from '../support/databases';

describe.each(testDatabases())('migrations (%s)', (databaseKind) => {
  it('build exactly the schema the entities describe, and can all be reverted', async () => {
    const database = await createTestDatabase(databaseKind);
    const dataSource = await new DataSource(databaseOptions(database.url)).initialize();
    try {
      const pending = await dataSource.driver.createSchemaBuilder().log();
      expect(pending.upQueries.map((query) => query.query)).toEqual([]);
      for (const _ of dataSource.migrations) await dataSource.undoLastMigration();
      expect(await dataSource.showMigrations()).toBe(true);
    } finally {
      await dataSource.destroy();
      await database.drop();
    }
  });
});
