import { Injectable, OnModuleInit } from '@nestjs/common';
import { DataSource, EntityMetadata, QueryRunner } from 'typeorm';
import { isMariaDbOrMySql } from '../migrations/exact-collation';
import { PASSWORD_RESET_ENTITIES } from '../password-reset.entities';
import { isExactText } from './password-reset-entity';

/** What of an entity's table is missing: the table, or some of its columns. */
async function missingParts(
  queryRunner: QueryRunner,
  metadata: EntityMetadata,
): Promise<string[]> {
  const table = await queryRunner.getTable(metadata.tablePath);
  if (!table) return [`table ${metadata.tableName}`];
  return metadata.columns
    .filter((column) => !table.findColumnByName(column.databaseName))
    .map((column) => `column ${metadata.tableName}.${column.databaseName}`);
}

/** Exact-text columns that compare otherwise, on MariaDB/MySQL (SQLite and PostgreSQL compare text exactly). */
async function foldingColumns(
  queryRunner: QueryRunner,
  metadatas: EntityMetadata[],
): Promise<string[]> {
  if (!isMariaDbOrMySql(queryRunner.connection)) return [];
  const exact = metadatas.flatMap((metadata) =>
    metadata.columns
      .filter((column) => isExactText(metadata.target, column.propertyName))
      .map((column) => ({
        table: metadata.tableName,
        column: column.databaseName,
      })),
  );
  const rows: { table: string; column: string; collation: string | null }[] =
    await queryRunner.query(
      `SELECT TABLE_NAME AS \`table\`, COLUMN_NAME AS \`column\`, COLLATION_NAME AS collation FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN (${exact.map(() => '?').join(', ')})`,
      [...new Set(exact.map(({ table }) => table))],
    );
  return rows
    .filter(
      (row) =>
        exact.some(
          ({ table, column }) => table === row.table && column === row.column,
        ) && !/(_bin|^binary)$/.test(row.collation ?? ''),
    )
    .map(
      (row) =>
        `column ${row.table}.${row.column} compares by ${row.collation}, not a binary collation`,
    );
}

/**
 * Stops the start when the module's tables are not as its migrations make
 * them (or `synchronize`, from the same metadata), rather than answering 503
 * to every request, or letting look-alike identifiers match on MariaDB/MySQL.
 */
@Injectable()
export class PasswordResetSchemaCheck implements OnModuleInit {
  constructor(private readonly dataSource: DataSource) {}

  async onModuleInit(): Promise<void> {
    const metadatas = PASSWORD_RESET_ENTITIES.map((entity) =>
      this.dataSource.getMetadata(entity),
    );
    const queryRunner = this.dataSource.createQueryRunner();
    try {
      // One after the other: a query runner is one connection.
      const missing: string[] = [];
      for (const metadata of metadatas)
        missing.push(...(await missingParts(queryRunner, metadata)));
      const folding =
        missing.length === 0
          ? await foldingColumns(queryRunner, metadatas)
          : [];
      const problems = [
        ...(missing.length > 0
          ? [`the database lacks ${missing.join(', ')}`]
          : []),
        ...folding,
      ];
      if (problems.length > 0) {
        throw new Error(
          `PasswordResetModule: ${problems.join('; ')}: add PASSWORD_RESET_MIGRATIONS to the DataSource's migrations and run them.`,
        );
      }
    } finally {
      await queryRunner.release();
    }
  }
}
