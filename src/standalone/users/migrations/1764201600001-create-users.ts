import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import { exactCollation } from '../../../index';

export class CreateUsers1764201600001 implements MigrationInterface {
  name = 'CreateUsers1764201600001';

  async up(queryRunner: QueryRunner): Promise<void> {
    // Identifiers compare exactly, or look-alikes would match another user.
    const exact = exactCollation(queryRunner);
    await queryRunner.createTable(
      new Table({
        name: 'users',
        columns: [
          {
            name: 'id',
            type: 'integer',
            isPrimary: true,
            isGenerated: true,
            generationStrategy: 'increment',
          },
          { name: 'username', type: 'varchar', length: '254', ...exact },
          { name: 'email', type: 'varchar', length: '254', ...exact },
          { name: 'password_hash', type: 'varchar', length: '255' },
          { name: 'created_at', type: 'bigint' },
        ],
        indices: [
          new TableIndex({ columnNames: ['username'], isUnique: true }),
          new TableIndex({ columnNames: ['email'], isUnique: true }),
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('users');
  }
}
