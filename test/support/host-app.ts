import type { DynamicModule } from '@nestjs/common';
import type { AbstractHttpAdapter } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { DataSourceOptions, MigrationInterface } from 'typeorm';
import { PASSWORD_RESET_ENTITIES, PASSWORD_RESET_MIGRATIONS } from '../../src';
import { createTestDatabase } from './databases';
import type { TestPlatform } from './platforms';
import { SmtpSink } from './smtp-sink';

type EntityClass = abstract new (...args: never[]) => object;
type MigrationClass = new () => MigrationInterface;

/** A host's TypeORM connection to its SQLite file (unnamed unless `own.name` is given), with its own tables and the module's added as the README says. */
export function hostDatabase(
  sqliteUrl: string,
  own: {
    name?: string;
    entities?: EntityClass[];
    migrations?: MigrationClass[];
  } = {},
): DynamicModule {
  return TypeOrmModule.forRoot({
    name: own.name,
    type: 'better-sqlite3',
    database: sqliteUrl.slice('sqlite:'.length),
    entities: [...(own.entities ?? []), ...PASSWORD_RESET_ENTITIES],
    migrations: [...(own.migrations ?? []), ...PASSWORD_RESET_MIGRATIONS],
    migrationsRun: true,
  });
}

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
export function hostAdapter(platform: TestPlatform): AbstractHttpAdapter {
  return platform === 'fastify'
    ? new FastifyAdapter({ routerOptions: { ignoreDuplicateSlashes: true } })
    : new ExpressAdapter();
}

/** What a host under test stands on: a database of its own for its connection, and an SMTP server on loopback. */
export interface HostSurroundings {
  databaseUrl: string;
  smtp: SmtpSink;
  stop(): Promise<void>;
}

export async function startHostSurroundings(): Promise<HostSurroundings> {
  const database = await createTestDatabase('sqlite');
  const smtp = await new SmtpSink().start();
  const stop = async () => {
    await smtp.stop();
    await database.drop();
  };
  return { databaseUrl: database.url, smtp, stop };
}
