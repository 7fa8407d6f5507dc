import type {
  DataSource,
  EntityManager,
  ObjectLiteral,
  SelectQueryBuilder,
} from 'typeorm';

/**
 * Whether the database locks rows, so that workers of several instances can
 * claim work with `FOR UPDATE SKIP LOCKED` (PostgreSQL, MariaDB 10.6+, MySQL
 * 8+). SQLite has one writer, which claims by writing at all.
 */
export function locksRows(dataSource: DataSource): boolean {
  return !['better-sqlite3', 'sqlite'].includes(dataSource.options.type);
}

/**
 * A transaction for claiming work, whose row locks hold the claimed rows.
 * READ COMMITTED: each statement sees what other instances committed before
 * it (MariaDB's default, REPEATABLE READ, would count from an older snapshot),
 * and MariaDB takes no gap locks that would hold up the request path's
 * INSERTs. On SQLite none: the process's one worker claims alone, and the
 * process shares one connection, where a transaction would take in the
 * request path's INSERTs too.
 */
export function claimTransaction<T>(
  dataSource: DataSource,
  work: (manager: EntityManager) => Promise<T>,
): Promise<T> {
  return locksRows(dataSource)
    ? dataSource.transaction('READ COMMITTED', work)
    : work(dataSource.manager);
}

/** The rows the query selects, locked until the transaction ends, skipping those another worker holds. */
export function skippingLocked<T extends ObjectLiteral>(
  query: SelectQueryBuilder<T>,
): SelectQueryBuilder<T> {
  return locksRows(query.connection)
    ? query.setLock('pessimistic_write').setOnLocked('skip_locked')
    : query;
}
