import {
  MigrationInterface,
  QueryRunner,
  Table,
  TableColumnOptions,
  TableIndex,
} from 'typeorm';
import { createTableOrMakeItExact, exactCollation } from './exact-collation';

const epochMs = (name: string, isNullable = false): TableColumnOptions => ({
  name,
  type: 'bigint',
  isNullable,
});
const autoId: TableColumnOptions = {
  name: 'id',
  type: 'integer',
  isPrimary: true,
  isGenerated: true,
  generationStrategy: 'increment',
};
const userId = (queryRunner: QueryRunner): TableColumnOptions => ({
  name: 'user_id',
  type: 'varchar',
  length: '255',
  ...exactCollation(queryRunner),
});

/** The module's tables, written once for SQLite, PostgreSQL and MariaDB alike; those `synchronize` made already are kept. */
export class CreatePasswordResetTables1764201600000 implements MigrationInterface {
  name = 'CreatePasswordResetTables1764201600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await createTableOrMakeItExact(
      queryRunner,
      new Table({
        name: 'password_reset_tokens',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          userId(queryRunner),
          { name: 'token_hash', type: 'varchar', length: '64' },
          epochMs('created_at'),
          epochMs('expires_at'),
          epochMs('used_at', true),
          epochMs('revoked_at', true),
        ],
        indices: [new TableIndex({ columnNames: ['user_id'] })],
      }),
    );
    await createTableOrMakeItExact(
      queryRunner,
      new Table({
        name: 'password_reset_requests',
        columns: [
          autoId,
          { name: 'identifier', type: 'varchar', length: '254' },
          epochMs('requested_at'),
        ],
      }),
    );
    await createTableOrMakeItExact(
      queryRunner,
      new Table({
        name: 'password_reset_outbox',
        columns: [
          autoId,
          { name: 'kind', type: 'varchar', length: '32' },
          userId(queryRunner),
          epochMs('created_at'),
          { name: 'status', type: 'varchar', length: '16' },
          { name: 'attempts', type: 'integer' },
          epochMs('next_attempt_at'),
          epochMs('sent_at', true),
          {
            name: 'last_error',
            type: 'varchar',
            length: '500',
            isNullable: true,
          },
        ],
        indices: [
          new TableIndex({ columnNames: ['status', 'next_attempt_at'] }),
          new TableIndex({ columnNames: ['user_id', 'kind', 'created_at'] }),
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('password_reset_outbox');
    await queryRunner.dropTable('password_reset_requests');
    await queryRunner.dropTable('password_reset_tokens');
  }
}
