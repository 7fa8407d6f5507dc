import { MigrationInterface, QueryRunner, Table } from 'typeorm';
import { createTableOrMakeItExact, exactCollation } from './exact-collation';

/** The rows whose locks make instances take turns at the per-account limit. */
export class LockAccounts1765411200000 implements MigrationInterface {
  name = 'LockAccounts1765411200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await createTableOrMakeItExact(
      queryRunner,
      new Table({
        name: 'password_reset_account_locks',
        columns: [
          {
            name: 'user_id',
            type: 'varchar',
            length: '255',
            isPrimary: true,
            ...exactCollation(queryRunner),
          },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('password_reset_account_locks');
  }
}
