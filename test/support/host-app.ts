import type { DynamicModule } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PASSWORD_RESET_ENTITIES, PASSWORD_RESET_MIGRATIONS } from '../../src';
import type { TestPlatform } from './platforms';

/** A host's TypeORM connection to its SQLite file, with the module's tables added as the README says. */
export function hostDatabase(sqliteUrl: string): DynamicModule {
  return TypeOrmModule.forRoot({
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
