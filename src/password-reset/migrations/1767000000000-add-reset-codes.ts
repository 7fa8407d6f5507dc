import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';
import { addColumnUnlessPresent } from './unless-synchronized';

/** The reset code beside the link: its keyed hash, and the wrong codes taken against it. */
export class AddResetCodes1767000000000 implements MigrationInterface {
  name = 'AddResetCodes1767000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await addColumnUnlessPresent(
      queryRunner,
      'password_reset_tokens',
      new TableColumn({
        name: 'code_hash',
        type: 'varchar',
        length: '64',
        isNullable: true,
      }),
    );
    await addColumnUnlessPresent(
      queryRunner,
      'password_reset_tokens',
      new TableColumn({ name: 'failed_codes', type: 'smallint', default: 0 }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('password_reset_tokens', 'failed_codes');
    await queryRunner.dropColumn('password_reset_tokens', 'code_hash');
  }
}
