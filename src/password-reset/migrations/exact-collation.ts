import type { QueryRunner, TableColumnOptions } from 'typeorm';

export function isMariaDbOrMySql(queryRunner: QueryRunner): boolean {
  return ['mysql', 'mariadb'].includes(queryRunner.connection.options.type);
}

/**
 * Column options that make text compare exactly. MariaDB's default collations
 * fold case and accents ('ı' = 'i', 'Alice' = 'alice'); SQLite and PostgreSQL
 * already compare exactly.
 */
export function exactCollation(queryRunner: QueryRunner): Partial<TableColumnOptions> {
  return isMariaDbOrMySql(queryRunner) ? { charset: 'utf8mb4', collation: 'utf8mb4_bin' } : {};
}
