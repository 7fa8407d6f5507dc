import type {
  DataSource,
  QueryRunner,
  Table,
  TableColumnOptions,
} from 'typeorm';

export function isMariaDbOrMySql(
  connection: Pick<DataSource, 'options'>,
): boolean {
  return ['mysql', 'mariadb'].includes(connection.options.type);
}

/**
 * What makes text compare exactly on MariaDB/MySQL, whose default collations
 * fold case and accents ('ı' = 'i', 'Alice' = 'alice'); SQLite and PostgreSQL
 * already compare exactly. The start check accepts any binary collation.
 */
export const MYSQL_EXACT_TEXT = {
  charset: 'utf8mb4',
  collation: 'utf8mb4_bin',
} as const;

/**
 * Column options that make text compare exactly on the query runner's
 * database, for the identifier columns of a host's own users table in its
 * migrations, so that a look-alike never matches another user.
 */
export function exactCollation(
  queryRunner: QueryRunner,
): Partial<TableColumnOptions> {
  return isMariaDbOrMySql(queryRunner.connection) ? MYSQL_EXACT_TEXT : {};
}

/**
 * Creates the table, or, when TypeORM's `synchronize` made it already, gives
 * its exact-text columns the binary collation that a `synchronize` of an
 * earlier version of the module, whose entities did not carry it, left out.
 */
export async function createTableOrMakeItExact(
  queryRunner: QueryRunner,
  table: Table,
): Promise<void> {
  if (!(await queryRunner.hasTable(table.name)))
    return queryRunner.createTable(table);
  if (!isMariaDbOrMySql(queryRunner.connection)) return;
  for (const column of table.columns.filter((column) => column.collation)) {
    await queryRunner.query(
      `ALTER TABLE \`${table.name}\` MODIFY \`${column.name}\` varchar(${column.length}) CHARACTER SET ${MYSQL_EXACT_TEXT.charset} COLLATE ${MYSQL_EXACT_TEXT.collation} NOT NULL`,
    );
  }
}
