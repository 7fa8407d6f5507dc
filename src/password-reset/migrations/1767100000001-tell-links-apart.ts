import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';
import { addColumnUnlessPresent } from './unless-synchronized';

/**
 * What a link is for (`reset` or `invite`), on the mail that is to carry it
 * and on its token, and the lifetime host code or an operator gave it.
 */
export class TellLinksApart1767100000001 implements MigrationInterface {
  name = 'TellLinksApart1767100000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    const purpose = (name: string) =>
      new TableColumn({
        name,
        type: 'varchar',
        length: '16',
        default: "'reset'",
      });
    await addColumnUnlessPresent(
      queryRunner,
      'password_reset_outbox',
      purpose('link_purpose'),
    );
    await addColumnUnlessPresent(
      queryRunner,
      'password_reset_outbox',
      new TableColumn({
        name: 'link_ttl_ms',
        type: 'bigint',
        isNullable: true,
      }),
    );
    await addColumnUnlessPresent(
      queryRunner,
      'password_reset_tokens',
      purpose('purpose'),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('password_reset_tokens', 'purpose');
    await queryRunner.dropColumn('password_reset_outbox', 'link_ttl_ms');
    await queryRunner.dropColumn('password_reset_outbox', 'link_purpose');
  }
}
