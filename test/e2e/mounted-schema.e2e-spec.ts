import { TypeOrmModule, TypeOrmModuleOptions } from '@nestjs/typeorm';
import { DataSource, DataSourceOptions } from 'typeorm';
import { PASSWORD_RESET_ENTITIES, PASSWORD_RESET_MIGRATIONS } from '../../src';
import { createTestDatabase, testDatabases } from '../support/databases';
import { hostConnection, startHostContext } from '../support/host-app';

const MODULE_TABLES = [
  'password_reset_tokens',
  'password_reset_requests',
  'password_reset_outbox',
  'password_reset_account_locks',
];

/** The hosts' connections, also those of a start that failed, which Nest leaves open. */
const hostDataSources: DataSource[] = [];

async function closeHostDataSources(): Promise<void> {
  await Promise.all(
    hostDataSources
      .splice(0)
      .filter((dataSource) => dataSource.isInitialized)
      .map((dataSource) => dataSource.destroy()),
  );
}

/** A host application's start: its TypeORM connection as given, and the module. Resolves to the started context. */
const startHost = (typeOrm: TypeOrmModuleOptions) =>
  startHostContext(
    {},
    {
      connection: TypeOrmModule.forRootAsync({
        useFactory: () => ({ ...typeOrm, retryAttempts: 0 }),
        dataSourceFactory: async (options) => {
          const dataSource = new DataSource(options!);
          hostDataSources.push(dataSource);
          return dataSource.initialize();
        },
      }),
    },
  );

async function withDataSource<T>(
  options: DataSourceOptions,
  work: (dataSource: DataSource) => Promise<T>,
): Promise<T> {
  const dataSource = await new DataSource(options).initialize();
  try {
    return await work(dataSource);
  } finally {
    await dataSource.destroy();
  }
}

/** What TypeORM would change of the module's tables: `synchronize`'s and `migration:generate`'s queries. */
async function pendingChangesOfTheModule(
  options: DataSourceOptions,
): Promise<string[]> {
  return withDataSource(
    { ...options, entities: PASSWORD_RESET_ENTITIES },
    async (dataSource) => {
      const { upQueries } = await dataSource.driver.createSchemaBuilder().log();
      return upQueries
        .map((query) => query.query)
        .filter((query) =>
          MODULE_TABLES.some((table) => query.includes(table)),
        );
    },
  );
}

const migrate = (options: DataSourceOptions) =>
  withDataSource(
    {
      ...options,
      entities: PASSWORD_RESET_ENTITIES,
      migrations: PASSWORD_RESET_MIGRATIONS,
      migrationsRun: true,
    },
    async () => undefined,
  );

describe.each(testDatabases())(
  "the module's schema in a host application (%s)",
  (databaseKind) => {
    let database: { url: string; drop: () => Promise<void> };
    beforeEach(async () => {
      database = await createTestDatabase(databaseKind);
    });
    afterEach(async () => {
      await closeHostDataSources();
      await database.drop();
    });

    it('with autoLoadEntities and synchronize: starts on a new database, then moves to the migrations, which run cleanly and find the schema they make', async () => {
      const connection = hostConnection(database.url);
      await (
        await startHost({
          ...connection,
          autoLoadEntities: true,
          synchronize: true,
        })
      ).close();
      await migrate(connection);
      expect(await pendingChangesOfTheModule(connection)).toEqual([]);
      await (
        await startHost({
          ...connection,
          autoLoadEntities: true,
          migrations: PASSWORD_RESET_MIGRATIONS,
          migrationsRun: true,
        })
      ).close();
    });

    it('after the migrations, TypeORM finds nothing of the module to change (on MariaDB, with driver type mariadb and mysql alike)', async () => {
      await migrate(hostConnection(database.url));
      for (const mariaDbDriver of ['mariadb', 'mysql'] as const) {
        expect(
          await pendingChangesOfTheModule(
            hostConnection(database.url, mariaDbDriver),
          ),
        ).toEqual([]);
      }
    });

    it('with autoLoadEntities and the migrations forgotten, stops the start with one sentence naming PASSWORD_RESET_MIGRATIONS and what is missing', async () => {
      const connection = hostConnection(database.url);
      await expect(
        startHost({ ...connection, autoLoadEntities: true }),
      ).rejects.toThrow(
        "PasswordResetModule: the database lacks table password_reset_tokens, table password_reset_requests, table password_reset_outbox, table password_reset_account_locks: add PASSWORD_RESET_MIGRATIONS to the DataSource's migrations and run them.",
      );

      await migrate(connection);
      await withDataSource(connection, async (dataSource) => {
        const queryRunner = dataSource.createQueryRunner();
        await queryRunner.dropColumn('password_reset_tokens', 'completed_at');
        await queryRunner.release();
      });
      await expect(
        startHost({ ...connection, autoLoadEntities: true }),
      ).rejects.toThrow(
        /^PasswordResetModule: the database lacks column password_reset_tokens\.completed_at: add PASSWORD_RESET_MIGRATIONS/,
      );
    });

    // Only MariaDB/MySQL have collations that fold case; SQLite and PostgreSQL compare text exactly.
    (databaseKind === 'mariadb' ? it : it.skip)(
      'stops the start when identifier columns fold case, and the migrations make those of an older synchronize exact',
      async () => {
        const connection = hostConnection(database.url);
        await (
          await startHost({
            ...connection,
            autoLoadEntities: true,
            synchronize: true,
          })
        ).close();
        // As the module's entities made the column before they carried the collation.
        await withDataSource(connection, (dataSource) =>
          dataSource.query(
            'ALTER TABLE password_reset_outbox MODIFY user_id varchar(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci NOT NULL',
          ),
        );
        await expect(
          startHost({ ...connection, autoLoadEntities: true }),
        ).rejects.toThrow(
          "PasswordResetModule: column password_reset_outbox.user_id compares by utf8mb4_general_ci, not a binary collation: add PASSWORD_RESET_MIGRATIONS to the DataSource's migrations and run them.",
        );
        await (
          await startHost({
            ...connection,
            autoLoadEntities: true,
            migrations: PASSWORD_RESET_MIGRATIONS,
            migrationsRun: true,
          })
        ).close();
      },
    );
  },
);
