import { once } from 'node:events';
import { DynamicModule, Module, Provider } from '@nestjs/common';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type {
  MetricsListenerSettings,
  StandaloneSettings,
} from './config/standalone-settings';
import { databaseOptions } from './database/database-options';
import { runMigrationsInTurn } from './database/migrations-in-turn';
import { HealthModule } from './health/health.module';
import { MetricsListener } from './metrics/metrics-listener';
import {
  PasswordResetMetrics,
  PasswordResetModule,
  type PasswordResetModuleOptions,
} from '../index';
import { FallbackThrottlerStorage } from './throttling/fallback-throttler-storage';
import { UsersModule } from './users/users.module';
import { UsersService } from './users/users.service';

/**
 * Counters in Redis; commands fail fast while it is down, so the local fallback
 * takes over at once. The Redis client is loaded only when REDIS_URL is set.
 */
function sharedRateLimitStorage(redisUrl: string): FallbackThrottlerStorage {
  const { ThrottlerStorageRedisService } =
    require('@nest-lab/throttler-storage-redis') as typeof import('@nest-lab/throttler-storage-redis');
  const connectTimeout = 2000;
  const shared = new ThrottlerStorageRedisService(redisUrl, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout,
  });
  return new FallbackThrottlerStorage(shared, async () => {
    if (shared.redis.status !== 'ready')
      await once(shared.redis, 'ready', {
        signal: AbortSignal.timeout(connectTimeout),
      });
  });
}

/** The module's metrics on their own listener, which opens and closes with the application. */
function metricsListener(settings: MetricsListenerSettings): Provider {
  return {
    provide: MetricsListener,
    inject: [PasswordResetMetrics],
    useFactory: (metrics: PasswordResetMetrics) =>
      new MetricsListener(metrics, settings),
  };
}

/** The standalone server: the module, with its own users table as the user store. */
@Module({})
export class AppModule {
  static forSettings(
    settings: StandaloneSettings,
    overrides: Partial<PasswordResetModuleOptions> = {},
  ): DynamicModule {
    return {
      module: AppModule,
      providers: settings.metrics ? [metricsListener(settings.metrics)] : [],
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => databaseOptions(settings.databaseUrl),
          dataSourceFactory: async (options) =>
            runMigrationsInTurn(await new DataSource(options!).initialize()),
        }),
        UsersModule,
        HealthModule.forDependencies({
          smtpUrl:
            typeof settings.mailTransport === 'string'
              ? settings.mailTransport
              : undefined,
          redisUrl: settings.redisUrl,
        }),
        EventEmitterModule.forRoot(),
        PasswordResetModule.forRootAsync({
          pages: true,
          metrics: settings.metrics !== undefined,
          imports: [UsersModule],
          inject: [UsersService],
          useFactory: (users: UsersService) => ({
            userStore: users,
            jwtSecret: settings.jwtSecret,
            resetUrl: settings.resetUrl,
            tokenTtl: settings.tokenTtl,
            code: settings.resetCode,
            inviteTtl: settings.inviteTtl,
            returnUrls: settings.returnUrls,
            mail: {
              transport: settings.mailTransport,
              from: settings.mailFrom,
            },
            defaultLanguage: settings.defaultLanguage,
            passwordPolicy: settings.breachedPasswordsUrl
              ? { breached: { rangeUrl: settings.breachedPasswordsUrl } }
              : undefined,
            delivery: settings.delivery,
            rateLimit: {
              lostPasswordPerMinute: settings.ipRateLimit,
              resetPasswordPerMinute: settings.resetIpRateLimit,
              storage: settings.redisUrl
                ? sharedRateLimitStorage(settings.redisUrl)
                : undefined,
            },
            ...overrides,
          }),
        }),
      ],
    };
  }
}
