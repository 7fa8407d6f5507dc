import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DataSourceOptions } from 'typeorm';
import { PASSWORD_RESET_ENTITIES } from '../password-reset/password-reset.entities';
import { PASSWORD_RESET_MIGRATIONS } from '../password-reset/password-reset.migrations';
import { User } from '../users/user.entity';
import { CreateUsers1764201600001 } from '../users/migrations/1764201600001-create-users';
import { DropTimedOutConnections } from '../password-reset/persistence/drop-timed-out-connections.subscriber';
import { StatementOnlyLogger } from '../password-reset/persistence/statement-only-logger';

export const DEFAULT_DATABASE_URL = 'sqlite:var/password-reset.sqlite';

/**
 * The longest the server waits on PostgreSQL or MariaDB for one thing: a new
 * connection, a free one from the pool, or a query's answer. Past it the
 * request gets a 503 rather than waiting for a database that may never answer
 * (a hung server, a network that drops packets). The statements are small
 * (a batch of rows, mostly by key, and migrations of the server's own tables),
 * so a healthy database stays far below it.
 */
export const DATABASE_TIMEOUT_MS = 5000;

/**
 * DATABASE_URL to TypeORM options for the standalone server and its CLI:
 * `sqlite:PATH` (WAL mode, so the CLI can write while the server runs),
 * `postgres://…`, `mysql://…` or `mariadb://…`. Schema changes come only from
 * migrations, which `runMigrationsInTurn` runs at start.
 */
export function databaseOptions(
  url: string = DEFAULT_DATABASE_URL,
): DataSourceOptions {
  const common = {
    entities: [...PASSWORD_RESET_ENTITIES, User],
    migrations: [...PASSWORD_RESET_MIGRATIONS, CreateUsers1764201600001],
    synchronize: false,
  };
  const scheme = url.slice(0, url.indexOf(':'));
  switch (scheme) {
    case 'sqlite': {
      const database = url.slice('sqlite:'.length);
      if (database !== ':memory:')
        mkdirSync(dirname(database), { recursive: true });
      // No statement cache: the batched statements differ in their number of rows, so TypeORM's
      // cache (100 by default) keeps evicting prepared statements whose native memory V8 does not
      // see; they piled up until the next full GC, about 0.7 KB per request under load.
      return {
        ...common,
        type: 'better-sqlite3',
        database,
        enableWAL: true,
        timeout: 10000,
        statementCacheSize: 0,
      };
    }
    case 'postgres':
    case 'postgresql':
      return {
        ...common,
        type: 'postgres',
        url,
        subscribers: [DropTimedOutConnections],
        // pg's connectionTimeoutMillis: bounds opening a connection and waiting for a pooled one.
        connectTimeoutMS: DATABASE_TIMEOUT_MS,
        extra: {
          // The server cancels a merely slow statement first, which keeps the connection usable;
          // the client's own timer is for a socket that no longer answers at all.
          statement_timeout: DATABASE_TIMEOUT_MS - 1000,
          query_timeout: DATABASE_TIMEOUT_MS,
        },
      };
    case 'mysql':
    case 'mariadb':
      // mysql2's pool has no limit on waiting for a free connection; with each
      // query and each connection attempt bounded, a request waits at most the
      // timeout once per pool's worth of requests queued ahead of it.
      return {
        ...common,
        type: scheme,
        url: url.replace(/^mariadb:/, 'mysql:'),
        subscribers: [DropTimedOutConnections],
        connectTimeout: DATABASE_TIMEOUT_MS,
        maxQueryExecutionTime: DATABASE_TIMEOUT_MS,
        enableQueryTimeout: true,
        logger: new StatementOnlyLogger(),
      };
    default:
      throw new Error(
        `DATABASE_URL must start with sqlite:, postgres://, mysql:// or mariadb:// (got "${scheme}:")`,
      );
  }
}
