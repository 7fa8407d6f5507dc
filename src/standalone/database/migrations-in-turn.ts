import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource, MigrationExecutor, QueryRunner } from 'typeorm';

/** How long a process waits for another's migrations before it gives up its start. */
const MIGRATION_LOCK_WAIT_MS = 60_000;

const LOCK_NAME = 'password-reset migrations';

/**
 * What makes processes on one database take turns at the migrations. Each
 * holds it on the connection that runs them, so a process that dies mid-way
 * lets the next one in.
 */
interface MigrationLock {
  /** Resolves once this process holds the lock; rejects past `deadline`. */
  take(queryRunner: QueryRunner, deadline: number): Promise<void>;
  release(queryRunner: QueryRunner, migrated: boolean): Promise<void>;
  /** TypeORM's transaction mode for migrations run under this lock. */
  transaction: 'all' | 'none';
}

function lockWaitedTooLong(): Error {
  return new Error(
    `another process has been running the database migrations for over ${MIGRATION_LOCK_WAIT_MS / 1000} s; start again once it is done`,
  );
}

/**
 * Asks `tryOnce` until it answers true. Each try is short, below the
 * statement timeout, which would otherwise cancel a long wait as a hung query.
 */
async function pollUntilTaken(
  tryOnce: () => Promise<boolean>,
  deadline: number,
  pauseMs: number,
): Promise<void> {
  while (!(await tryOnce())) {
    if (Date.now() > deadline) throw lockWaitedTooLong();
    await sleep(pauseMs);
  }
}

/** A session-level advisory lock; PostgreSQL scopes its keys to the database. */
const postgresLock: MigrationLock = {
  take: (queryRunner, deadline) =>
    pollUntilTaken(
      async () =>
        (
          await queryRunner.query(
            'SELECT pg_try_advisory_lock(hashtext($1)) AS taken',
            [LOCK_NAME],
          )
        )[0].taken === true,
      deadline,
      100,
    ),
  release: async (queryRunner) => {
    await queryRunner.query('SELECT pg_advisory_unlock(hashtext($1))', [
      LOCK_NAME,
    ]);
  },
  transaction: 'all',
};

/** A named lock; MariaDB's names are server-wide, so the name carries the database's (within the 64 characters allowed). */
const mysqlLockName = `LEFT(CONCAT('${LOCK_NAME} of ', DATABASE()), 64)`;
const mysqlLock: MigrationLock = {
  // GET_LOCK waits up to its timeout (1 s) on the server before answering 0.
  take: (queryRunner, deadline) =>
    pollUntilTaken(
      async () =>
        Number(
          (
            await queryRunner.query(
              `SELECT GET_LOCK(${mysqlLockName}, 1) AS taken`,
            )
          )[0].taken,
        ) === 1,
      deadline,
      0,
    ),
  release: async (queryRunner) => {
    await queryRunner.query(`SELECT RELEASE_LOCK(${mysqlLockName})`);
  },
  transaction: 'all',
};

/**
 * SQLite's write lock, taken at BEGIN IMMEDIATE (another process waits for it
 * up to the busy timeout); the migrations run inside that one transaction.
 */
const sqliteLock: MigrationLock = {
  take: async (queryRunner) => {
    await queryRunner.query('BEGIN IMMEDIATE');
  },
  release: async (queryRunner, migrated) => {
    await queryRunner.query(migrated ? 'COMMIT' : 'ROLLBACK');
  },
  transaction: 'none',
};

function migrationLock(type: DataSource['options']['type']): MigrationLock {
  if (type === 'postgres') return postgresLock;
  if (type === 'mysql' || type === 'mariadb') return mysqlLock;
  if (type === 'better-sqlite3') return sqliteLock;
  throw new Error(`no migration lock for ${type}`);
}

async function migrateHoldingTheLock(dataSource: DataSource): Promise<void> {
  const lock = migrationLock(dataSource.options.type);
  const queryRunner = dataSource.createQueryRunner();
  try {
    await lock.take(queryRunner, Date.now() + MIGRATION_LOCK_WAIT_MS);
    let migrated = false;
    try {
      const executor = new MigrationExecutor(dataSource, queryRunner);
      executor.transaction = lock.transaction;
      await executor.executePendingMigrations();
      migrated = true;
    } finally {
      await lock.release(queryRunner, migrated);
    }
  } finally {
    await queryRunner.release();
  }
}

/**
 * Runs the pending migrations of an initialised DataSource while holding the
 * database's migration lock, so that processes started together on a new
 * database wait for each other's migrations instead of racing to create the
 * same tables. Gives the DataSource back; on failure it is destroyed.
 */
export async function runMigrationsInTurn(
  dataSource: DataSource,
): Promise<DataSource> {
  try {
    await migrateHoldingTheLock(dataSource);
    return dataSource;
  } catch (error) {
    await dataSource.destroy();
    throw error;
  }
}
