import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DataSourceOptions } from 'typeorm';
import { PASSWORD_RESET_ENTITIES } from '../password-reset/password-reset.entities';
import { PASSWORD_RESET_MIGRATIONS } from '../password-reset/password-reset.migrations';
import { User } from '../users/user.entity';
import { CreateUsers1764201600001 } from '../users/migrations/1764201600001-create-users';

export const DEFAULT_DATABASE_URL = 'sqlite:var/password-reset.sqlite';

/**
 * DATABASE_URL to TypeORM options for the standalone server and its CLI:
 * `sqlite:PATH` (WAL mode, so the CLI can write while the server runs),
 * `postgres://…`, `mysql://…` or `mariadb://…`. Schema changes come only from
 * migrations, run at start.
 */
export function databaseOptions(url: string = DEFAULT_DATABASE_URL): DataSourceOptions {
  const common = {
    entities: [...PASSWORD_RESET_ENTITIES, User],
    migrations: [...PASSWORD_RESET_MIGRATIONS, CreateUsers1764201600001],
    migrationsRun: true,
    synchronize: false,
  };
  const scheme = url.slice(0, url.indexOf(':'));
  switch (scheme) {
    case 'sqlite': {
      const database = url.slice('sqlite:'.length);
      if (database !== ':memory:') mkdirSync(dirname(database), { recursive: true });
      return { ...common, type: 'better-sqlite3', database, enableWAL: true, timeout: 10000 };
    }
    case 'postgres':
    case 'postgresql':
      return { ...common, type: 'postgres', url };
    case 'mysql':
    case 'mariadb':
      return { ...common, type: scheme, url: url.replace(/^mariadb:/, 'mysql:') };
    default:
      throw new Error(`DATABASE_URL must start with sqlite:, postgres://, mysql:// or mariadb:// (got "${scheme}:")`);
  }
}
