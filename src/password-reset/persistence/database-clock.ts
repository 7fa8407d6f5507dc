import type { EntityManager } from 'typeorm';

/** The database server's time in milliseconds since the epoch, in UTC whatever the server's time zone. */
const NOW_MS: Record<string, string> = {
  postgres: 'SELECT FLOOR(EXTRACT(EPOCH FROM clock_timestamp()) * 1000) AS now',
  mysql:
    "SELECT TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', UTC_TIMESTAMP(6)) DIV 1000 AS now",
  mariadb:
    "SELECT TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', UTC_TIMESTAMP(6)) DIV 1000 AS now",
  'better-sqlite3':
    "SELECT CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) AS now",
  sqlite:
    "SELECT CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) AS now",
};

/**
 * The one clock every instance on a database shares. What must be ordered
 * across instances is ordered by it, not by each instance's own clock, which
 * may run ahead of the others.
 */
export async function databaseNow(manager: EntityManager): Promise<number> {
  const type = manager.connection.options.type;
  const query = NOW_MS[type];
  if (!query) throw new Error(`No clock query for ${type} databases`);
  const [{ now }] = await manager.query(query);
  return Number(now);
}
