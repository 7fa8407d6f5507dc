import type { QueryRunner, TableColumn } from 'typeorm';
import { TableIndex } from 'typeorm';

/**
 * Steps for a migration that may meet a table TypeORM's `synchronize` has
 * already brought to the new shape: each one does only what is not done yet.
 * An index is known by the name the naming strategy gives its columns, which
 * both `synchronize` and `createIndex` give it.
 */
async function indexOn(
  queryRunner: QueryRunner,
  tableName: string,
  columnNames: string[],
): Promise<TableIndex | undefined> {
  const table = await queryRunner.getTable(tableName);
  const name = queryRunner.connection.namingStrategy.indexName(
    tableName,
    columnNames,
  );
  return table?.indices.find((index) => index.name === name);
}

export async function addColumnUnlessPresent(
  queryRunner: QueryRunner,
  tableName: string,
  column: TableColumn,
): Promise<void> {
  if (!(await queryRunner.hasColumn(tableName, column.name)))
    await queryRunner.addColumn(tableName, column);
}

export async function createIndexUnlessPresent(
  queryRunner: QueryRunner,
  tableName: string,
  columnNames: string[],
): Promise<void> {
  if (!(await indexOn(queryRunner, tableName, columnNames)))
    await queryRunner.createIndex(tableName, new TableIndex({ columnNames }));
}

export async function dropIndexIfPresent(
  queryRunner: QueryRunner,
  tableName: string,
  columnNames: string[],
): Promise<void> {
  const index = await indexOn(queryRunner, tableName, columnNames);
  if (index) await queryRunner.dropIndex(tableName, index);
}
