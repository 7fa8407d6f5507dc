import {
  DynamicModule,
  INestApplication,
  INestApplicationContext,
  LoggerService,
  Module,
  ModuleMetadata,
  Type,
} from '@nestjs/common';
import { AbstractHttpAdapter, NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { getDataSourceToken, TypeOrmModule } from '@nestjs/typeorm';
import request from 'supertest';
import type {
  DataSource,
  DataSourceOptions,
  MigrationInterface,
} from 'typeorm';
import {
  PASSWORD_RESET_ENTITIES,
  PASSWORD_RESET_MIGRATIONS,
  PasswordResetModule,
  PasswordResetModuleExtras,
  PasswordResetModuleOptions,
  PasswordResetUserStore,
} from '../../src';
import { createTestDatabase } from './databases';
import { CapturingLogger } from './harness';
import { initialised, TestPlatform } from './platforms';
import { settled } from './settled';
import { SmtpSink } from './smtp-sink';

type EntityClass = abstract new (...args: never[]) => object;
type MigrationClass = new () => MigrationInterface;

/**
 * A host's own connection to a test database (`sqlite:`, `postgres://` or
 * `mariadb://`), nothing of the module's in it yet; on MariaDB with the
 * TypeORM driver type the host chose, `mariadb` or `mysql`.
 */
export function hostConnection(
  databaseUrl: string,
  mariaDbDriver: 'mariadb' | 'mysql' = 'mariadb',
): DataSourceOptions {
  if (databaseUrl.startsWith('sqlite:'))
    return {
      type: 'better-sqlite3',
      database: databaseUrl.slice('sqlite:'.length),
    };
  if (databaseUrl.startsWith('postgres'))
    return { type: 'postgres', url: databaseUrl };
  return {
    type: mariaDbDriver,
    url: databaseUrl.replace(/^mariadb:/, 'mysql:'),
  };
}

/** As the README tells a host: on Fastify the router itself must match the Tangerine365 API's `//auth/lostPassword`. */
function hostAdapter(platform: TestPlatform): AbstractHttpAdapter {
  return platform === 'fastify'
    ? new FastifyAdapter({ routerOptions: { ignoreDuplicateSlashes: true } })
    : new ExpressAdapter();
}

/** A user store that knows nobody, for a host whose accounts are not the subject. */
class NoAccounts implements PasswordResetUserStore {
  async findByIdentifier(): Promise<null> {
    return null;
  }
  async findById(): Promise<null> {
    return null;
  }
  async setPassword(): Promise<void> {}
}

/** The host's database, and its TypeORM connection with the host's tables and the module's added as the README says. */
export interface HostDatabase {
  /** `sqlite` (the default), `postgres` or `mariadb`: a fresh database of that kind. */
  kind?: string;
  /** The connection's name; unnamed by default. */
  name?: string;
  entities?: EntityClass[];
  migrations?: MigrationClass[];
}

/** What a host builds around the module, beside its database and the SMTP server on loopback that it is given. */
export interface MountedHostSetup extends Pick<
  ModuleMetadata,
  'imports' | 'providers' | 'controllers'
> {
  platform: TestPlatform;
  /** The host's user store, an injectable class that `forRootAsync` injects into its factory; one that knows nobody by default. */
  userStore?: Type<PasswordResetUserStore>;
  /** What the user store injects, such as `TypeOrmModule.forFeature` of the host's own tables. */
  userStoreImports?: ModuleMetadata['imports'];
  database?: HostDatabase;
  /** The options given beside the factory: pages, routes, metrics, decorators, dataSource. */
  extras?: Partial<PasswordResetModuleExtras>;
  /** The factory's options, over a working set that mails the SMTP server (`mail` over its `mail`). */
  options?: Partial<PasswordResetModuleOptions>;
  /** Global setup before `app.init()`. */
  configure?: (app: INestApplication) => void;
  /** Compiles the module with `Test.createTestingModule` and gives it the HTTP adapter after, as hosts' own e2e tests do. */
  testingModule?: boolean;
}

export interface MountedHost {
  app: INestApplication;
  /** The host's HTTP server, for supertest. */
  http: ReturnType<INestApplication['getHttpServer']>;
  smtp: SmtpSink;
  logs: CapturingLogger;
  /** The host's connection, where the module keeps its tables. */
  dataSource: DataSource;
  post(path: string): request.Test;
  get(path: string): request.Test;
  /** Waits until every recorded request is processed and every queued mail delivered or given up. */
  settle(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A host application on the given platform that mounts the module with
 * `forRootAsync`, as the README shows, on a fresh database of its own and
 * mailing a real SMTP server on loopback; every line it logs is kept.
 */
export async function mountedHost(
  setup: MountedHostSetup,
): Promise<MountedHost> {
  const database = await createTestDatabase(setup.database?.kind ?? 'sqlite');
  const smtp = await new SmtpSink().start();
  const userStore = setup.userStore ?? NoAccounts;
  const stopSurroundings = async () => {
    await smtp.stop();
    await database.drop();
  };

  @Module({
    imports: setup.userStoreImports,
    providers: [userStore],
    exports: [userStore],
  })
  class UserStoreModule {}

  @Module({
    imports: [
      TypeOrmModule.forRoot({
        ...hostConnection(database.url),
        name: setup.database?.name,
        entities: [
          ...(setup.database?.entities ?? []),
          ...PASSWORD_RESET_ENTITIES,
        ],
        migrations: [
          ...(setup.database?.migrations ?? []),
          ...PASSWORD_RESET_MIGRATIONS,
        ],
        migrationsRun: true,
      }),
      UserStoreModule,
      ...(setup.imports ?? []),
      PasswordResetModule.forRootAsync({
        imports: [UserStoreModule],
        inject: [userStore],
        useFactory: (userStore: PasswordResetUserStore) => ({
          userStore,
          jwtSecret: 'host-secret-host-secret-host-secret-host',
          resetUrl: 'https://host.example/account/reset',
          delivery: { pollIntervalMs: 25 },
          ...setup.options,
          mail: {
            transport: smtp.url,
            from: 'accounts@host.example',
            ...setup.options?.mail,
          },
        }),
        ...setup.extras,
      }),
    ],
    providers: setup.providers,
    controllers: setup.controllers,
  })
  class MountedHostModule {}

  const logs = new CapturingLogger();
  try {
    const app = setup.testingModule
      ? (
          await Test.createTestingModule({ imports: [MountedHostModule] })
            .setLogger(logs)
            .compile()
        ).createNestApplication(hostAdapter(setup.platform))
      : await NestFactory.create(
          MountedHostModule,
          hostAdapter(setup.platform),
          { logger: logs, abortOnError: false },
        );
    setup.configure?.(app);
    await initialised(app);
    const dataSource = app.get<DataSource>(
      getDataSourceToken(setup.database?.name),
    );
    return {
      app,
      http: app.getHttpServer(),
      smtp,
      logs,
      dataSource,
      post: (path) => request(app.getHttpServer()).post(path),
      get: (path) => request(app.getHttpServer()).get(path),
      settle: () => settled(dataSource),
      close: async () => {
        await app.close();
        await stopSurroundings();
      },
    };
  } catch (error) {
    await stopSurroundings();
    throw error;
  }
}

/**
 * The module mounted with `forRoot` into an application context, without
 * HTTP, mailing nowhere: for what it checks and says at start. Rejects with
 * the error that stopped the start.
 */
export function startHostContext(
  options: Partial<PasswordResetModuleOptions> = {},
  host: Pick<ModuleMetadata, 'imports' | 'providers'> & {
    /** The host's TypeORM connection; by default an in-memory SQLite database that the module's migrations made. */
    connection?: DynamicModule;
    logger?: LoggerService | false;
  } = {},
): Promise<INestApplicationContext> {
  @Module({
    imports: [
      host.connection ??
        TypeOrmModule.forRoot({
          type: 'better-sqlite3',
          database: ':memory:',
          entities: PASSWORD_RESET_ENTITIES,
          migrations: PASSWORD_RESET_MIGRATIONS,
          migrationsRun: true,
        }),
      ...(host.imports ?? []),
      PasswordResetModule.forRoot({
        userStore: new NoAccounts(),
        jwtSecret: 'host-secret-host-secret-host-secret-host',
        resetUrl: 'https://host.example/account/reset',
        mail: { transport: { jsonTransport: true } },
        ...options,
      }),
    ],
    providers: host.providers,
  })
  class HostContextModule {}
  return NestFactory.createApplicationContext(HostContextModule, {
    logger: host.logger ?? false,
    abortOnError: false,
  });
}
