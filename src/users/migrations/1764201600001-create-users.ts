import { MigrationInterface, QueryRunner, Table } from 'typeorm';

export class CreateUsers1764201600001 implements MigrationInterface {
  name = 'CreateUsers1764201600001';

  async up(queryRunner: QueryRunner): Promise<void> {
    // MariaDB's default collations fold case and accents ('ı' = 'i', 'Alice' = 'alice'):
    // identifiers must compare exactly, as they do in SQLite and PostgreSQL.
    const exact = ['mysql', 'mariadb'].includes(queryRunner.connection.options.type) ? { charset: 'utf8mb4', collation: 'utf8mb4_bin' } : {};
    await queryRunner.createTable(
      new Table({
        name: 'users',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'username', type: 'varchar', length: '254', isUnique: true, ...exact },
          { name: 'email', type: 'varchar', length: '254', isUnique: true, ...exact },
          { name: 'password_hash', type: 'varchar', length: '255' },
          { name: 'created_at', type: 'bigint' },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('users');
  }
}
