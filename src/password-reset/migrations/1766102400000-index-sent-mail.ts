import { MigrationInterface, QueryRunner, TableIndex } from 'typeorm';
import { createIndexUnlessPresent } from './unless-synchronized';

const sentMailIndex = () =>
  new TableIndex({ columnNames: ['status', 'sent_at'] });

/**
 * Mail by status and time sent: the queue's status (`/metrics`, `npm run mail
 * -- status`) counts the last hour's sent mail from it, not from a scan of the
 * week of sent mail the table keeps.
 */
export class IndexSentMail1766102400000 implements MigrationInterface {
  name = 'IndexSentMail1766102400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await createIndexUnlessPresent(queryRunner, 'password_reset_outbox', [
      'status',
      'sent_at',
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('password_reset_outbox', sentMailIndex());
  }
}
