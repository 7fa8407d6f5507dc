import { Column } from 'typeorm';

/**
 * A point in time as milliseconds since the epoch in a BIGINT column: the same
 * type and the same comparisons on SQLite, PostgreSQL and MariaDB, and no time
 * zones to get wrong. PostgreSQL and MariaDB return BIGINT as a string.
 */
export function EpochMsColumn(
  name: string,
  options: { nullable?: boolean } = {},
): PropertyDecorator {
  return Column({
    name,
    type: 'bigint',
    nullable: options.nullable ?? false,
    transformer: {
      to: (value: number | null | undefined) => value,
      from: (value: string | number | null) =>
        value === null ? null : Number(value),
    },
  });
}
