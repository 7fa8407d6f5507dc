import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';
import { isMariaDbOrMySql } from './exact-collation';
import { addColumnUnlessPresent } from './unless-synchronized';

/**
 * `completed_at`: when the password a link set was stored, so that a password
 * change made another way can wait for a reset already under way. And the
 * request's identifier in utf8mb4 on MariaDB/MySQL whatever the server's
 * default, so that no character the validation lets through is refused there.
 */
export class TrackResetsInFlight1764806400000 implements MigrationInterface {
  name = 'TrackResetsInFlight1764806400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await addColumnUnlessPresent(
      queryRunner,
      'password_reset_tokens',
      new TableColumn({
        name: 'completed_at',
        type: 'bigint',
        isNullable: true,
      }),
    );
    if (isMariaDbOrMySql(queryRunner.connection)) {
      await queryRunner.query(
        'ALTER TABLE password_reset_requests MODIFY identifier varchar(254) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL',
      );
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('password_reset_tokens', 'completed_at');
  }
}
