import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';
import { addColumnUnlessPresent } from './unless-synchronized';

/** Wrong second-factor codes per reset link, so that a link dies after `secondFactorAttempts` of them. */
export class CountSecondFactorAttempts1766188800000 implements MigrationInterface {
  name = 'CountSecondFactorAttempts1766188800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await addColumnUnlessPresent(
      queryRunner,
      'password_reset_tokens',
      new TableColumn({
        name: 'failed_second_factors',
        type: 'smallint',
        default: 0,
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn(
      'password_reset_tokens',
      'failed_second_factors',
    );
  }
}
