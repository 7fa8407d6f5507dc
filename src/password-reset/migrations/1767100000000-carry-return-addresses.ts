import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';
import { MAX_RETURN_ADDRESS_LENGTH } from '../links/return-address';
import { addColumnUnlessPresent } from './unless-synchronized';

const RETURN_TO = {
  name: 'return_to',
  type: 'varchar',
  length: String(MAX_RETURN_ADDRESS_LENGTH),
  isNullable: true,
};

/** The checked `returnTo` of a request, carried to its mail and from there, signed, into the link. */
export class CarryReturnAddresses1767100000000 implements MigrationInterface {
  name = 'CarryReturnAddresses1767100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['password_reset_requests', 'password_reset_outbox'])
      await addColumnUnlessPresent(
        queryRunner,
        table,
        new TableColumn(RETURN_TO),
      );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['password_reset_requests', 'password_reset_outbox'])
      await queryRunner.dropColumn(table, 'return_to');
  }
}
