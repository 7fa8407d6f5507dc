import type { DynamicModule } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PASSWORD_RESET_ENTITIES, PASSWORD_RESET_MIGRATIONS } from '../../src';
import { createTestDatabase } from './databases';
import type { TestPlatform } from './platforms';
import { SmtpSink } from './smtp-sink';

/** A host's TypeORM connection to its SQLite file (unnamed unless `name` is given), with the module's tables added as the README says. */
export function hostDatabase(sqliteUrl: string, name?: string): DynamicModule {
  return TypeOrmModule.forRoot({
    name,
    type: 'better-sqlite3',
    database: sqliteUrl.slice('sqlite:'.length),
    entities: PASSWORD_RESET_ENTITIES,
    migrations: PASSWORD_RESET_MIGRATIONS,
    migrationsRun: true,
  });
}

/** As the README tells a host: on Fastify the router itself must match the seed's `//auth/lostPassword`. */
export function hostAdapter(platform: TestPlatform) {
  return platform === 'fastify' ? new FastifyAdapter({ routerOptions: { ignoreDuplicateSlashes: true } }) : new ExpressAdapter();
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
