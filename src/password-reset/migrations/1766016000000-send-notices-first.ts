import {
  MigrationInterface,
  QueryRunner,
  TableColumn,
  TableIndex,
} from 'typeorm';
import {
  addColumnUnlessPresent,
  createIndexUnlessPresent,
  dropIndexIfPresent,
} from './unless-synchronized';

const OUTBOX = 'password_reset_outbox';
const BY_DUE_TIME = ['status', 'next_attempt_at'];
const IN_SENDING_ORDER = ['status', 'priority', 'next_attempt_at', 'id'];
// TypeORM writes the generated name into the index it is given: a fresh one each time.
const index = (columnNames: string[]) => new TableIndex({ columnNames });

/**
 * `priority`: the "password changed" notice goes out before every reset mail
 * waiting. The claim reads the new index in the order it sends and stops once
 * it has enough, whatever the backlog; the index serves every lookup the old
 * one did.
 */
export class SendNoticesFirst1766016000000 implements MigrationInterface {
  name = 'SendNoticesFirst1766016000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await addColumnUnlessPresent(
      queryRunner,
      OUTBOX,
      new TableColumn({ name: 'priority', type: 'smallint', default: 1 }),
    );
    await queryRunner.query(
      `UPDATE ${OUTBOX} SET priority = 0 WHERE kind = 'password-changed'`,
    );
    await createIndexUnlessPresent(queryRunner, OUTBOX, IN_SENDING_ORDER);
    await dropIndexIfPresent(queryRunner, OUTBOX, BY_DUE_TIME);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createIndex(OUTBOX, index(BY_DUE_TIME));
    await queryRunner.dropIndex(OUTBOX, index(IN_SENDING_ORDER));
    await queryRunner.dropColumn(OUTBOX, 'priority');
  }
}
