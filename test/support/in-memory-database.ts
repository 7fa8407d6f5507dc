import { DataSource } from 'typeorm';
import { PASSWORD_RESET_ENTITIES } from '../../src/password-reset/password-reset.entities';
import { PASSWORD_RESET_MIGRATIONS } from '../../src/password-reset/password-reset.migrations';

/** The module's tables, migrated, in an SQLite database in memory: for unit specs of one class. */
export function inMemoryDatabase(): Promise<DataSource> {
  return new DataSource({
    type: 'better-sqlite3',
    database: ':memory:',
    entities: PASSWORD_RESET_ENTITIES,
    migrations: PASSWORD_RESET_MIGRATIONS,
    migrationsRun: true,
  }).initialize();
}
