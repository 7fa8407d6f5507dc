import type { INestApplication } from '@nestjs/common';
import type { AbstractHttpAdapter } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { testDatabases } from './databases';

export type TestPlatform = 'express' | 'fastify';

/**
 * The HTTP platforms e2e suites run on: TEST_PLATFORMS, a comma-separated
 * list of express and fastify (default express). CI runs both.
 */
export function testPlatforms(): TestPlatform[] {
  const platforms = (process.env.TEST_PLATFORMS ?? 'express')
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  for (const platform of platforms)
    if (platform !== 'express' && platform !== 'fastify')
      throw new Error(`unknown test platform ${platform}`);
  return platforms as TestPlatform[];
}

/** Each platform with each database, for `describe.each`. */
export function testPlatformsAndDatabases(): Array<[TestPlatform, string]> {
  return testPlatforms().flatMap((platform) =>
    testDatabases().map((database): [TestPlatform, string] => [
      platform,
      database,
    ]),
  );
}

/** A new adapter, for a host application that a test builds. */
export function httpAdapterOf(platform: TestPlatform): AbstractHttpAdapter {
  return platform === 'fastify' ? new FastifyAdapter() : new ExpressAdapter();
}

/** Initialises the application and, on Fastify, waits until its routes and hooks are in place, so that supertest can drive its server. */
export async function initialised<T extends INestApplication>(
  app: T,
): Promise<T> {
  await app.init();
  if (app.getHttpAdapter().getType() === 'fastify')
    await app.getHttpAdapter().getInstance().ready();
  return app;
}
