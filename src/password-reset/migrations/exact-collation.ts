import type { QueryRunner, TableColumnOptions } from 'typeorm';

/**
 * Column options that make text compare exactly. MariaDB's default collations
 * fold case and accents ('ı' = 'i', 'Alice' = 'alice'); SQLite and PostgreSQL
 * already compare exactly.
 */
export function exactCollation(queryRunner: QueryRunner): Partial<TableColumnOptions> {
  return ['mysql', 'mariadb'].includes(queryRunner.connection.options.type) ? { charset: 'utf8mb4', collation: 'utf8mb4_bin' } : {};
}
