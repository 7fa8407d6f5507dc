import { MigrationInterface, QueryRunner, TableIndex } from 'typeorm';

const sentMailIndex = () => new TableIndex({ columnNames: ['status', 'sent_at'] });

/**
 * Mail by status and time sent: the queue's status (`/metrics`, `npm run mail
 * -- status`) counts the last hour's sent mail from it, not from a scan of the
 * week of sent mail the table keeps.
 */
export class IndexSentMail1766102400000 implements MigrationInterface {
  name = 'IndexSentMail1766102400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createIndex('password_reset_outbox', sentMailIndex());
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('password_reset_outbox', sentMailIndex());
  }
}
