import { BaseEntity, DataSource, EntityMetadata } from 'typeorm';
import {
  isMariaDbOrMySql,
  MYSQL_EXACT_TEXT,
} from '../migrations/exact-collation';

const exactTextProperties = new WeakMap<object, Set<string>>();

/** Marks a text column whose values must compare exactly (ids, identifiers): a binary collation on MariaDB/MySQL, as the migrations make it. */
export function ExactText(): PropertyDecorator {
  return (prototype, property) => {
    const properties =
      exactTextProperties.get(prototype.constructor) ?? new Set<string>();
    exactTextProperties.set(
      prototype.constructor,
      properties.add(String(property)),
    );
  };
}

export function isExactText(
  entity: EntityMetadata['target'],
  property: string,
): boolean {
  return exactTextProperties.get(entity as object)?.has(property) ?? false;
}

/**
 * TypeORM's mysql driver, pointed at MariaDB, reads the implicit `DEFAULT NULL`
 * of a nullable column as the string 'NULL', and would change each such column
 * on every synchronize or generated migration; declaring that default makes
 * the two agree. Its mariadb driver reads it right, and so does its mysql
 * driver on MySQL, which reports no default there. TypeORM keeps only the
 * number of the server's version: MariaDB's start at 10, MySQL's are below.
 */
function readsMariaDbNullDefaultAsText(dataSource: DataSource): boolean {
  const version = (dataSource.driver as { version?: string }).version;
  return (
    dataSource.options.type === 'mysql' &&
    version !== undefined &&
    parseInt(version, 10) >= 10
  );
}

/**
 * The column metadata that depends on the database, which decorators, being
 * the same for every database, cannot carry: with it TypeORM's `synchronize`
 * makes the tables the migrations make, and a host's `migration:generate`
 * finds nothing of the module's to change.
 */
function fitColumnsToDatabase(
  metadata: EntityMetadata,
  dataSource: DataSource,
): void {
  if (!isMariaDbOrMySql(dataSource)) return;
  const nullDefaultReadAsText = readsMariaDbNullDefaultAsText(dataSource);
  for (const column of metadata.columns) {
    if (isExactText(metadata.target, column.propertyName))
      Object.assign(column, MYSQL_EXACT_TEXT);
    if (
      nullDefaultReadAsText &&
      column.isNullable &&
      column.default === undefined
    )
      column.default = () => 'NULL';
  }
}

/**
 * BaseEntity typed without its instance methods: the module treats rows as
 * plain objects (spread, built as literals) and never calls them.
 */
const StaticallyBaseEntity =
  BaseEntity as unknown as (abstract new () => object) &
    Pick<typeof BaseEntity, 'useDataSource'>;

/**
 * Base of the module's entities. TypeORM calls `useDataSource` of a
 * BaseEntity for each DataSource that loads it, once the metadata is built and
 * before it migrates, synchronizes or compares the schema: the one point where
 * the metadata can follow the database.
 */
export abstract class PasswordResetEntity extends StaticallyBaseEntity {
  static useDataSource(dataSource: DataSource | null): void {
    super.useDataSource(dataSource);
    if (dataSource)
      fitColumnsToDatabase(dataSource.getMetadata(this), dataSource);
  }
}
