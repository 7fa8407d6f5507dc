import { Logger, OnApplicationShutdown, OnModuleDestroy } from '@nestjs/common';
import { ThrottlerStorage, ThrottlerStorageService } from '@nestjs/throttler';
import type { ThrottlerStorageRecord } from '@nestjs/throttler/dist/throttler-storage-record.interface';

/**
 * Shared counters (Redis) with a way out: while the shared store fails, each
 * instance counts in its own memory and says so in the log, so a Redis outage
 * neither stops the service nor lifts the limits.
 */
export class FallbackThrottlerStorage
  implements ThrottlerStorage, OnModuleDestroy, OnApplicationShutdown
{
  private readonly logger = new Logger('PasswordResetThrottler');
  private readonly local = new ThrottlerStorageService();
  private failing = false;

  constructor(
    private readonly shared: ThrottlerStorage & Partial<OnModuleDestroy>,
  ) {}

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    try {
      const record = await this.shared.increment(
        key,
        ttl,
        limit,
        blockDuration,
        throttlerName,
      );
      if (this.failing) this.logger.log('Shared rate-limit store is back');
      this.failing = false;
      return record;
    } catch (error) {
      if (!this.failing)
        this.logger.error(
          `Shared rate-limit store failed, counting locally: ${(error as Error).message}`,
        );
      this.failing = true;
      return this.local.increment(
        key,
        ttl,
        limit,
        blockDuration,
        throttlerName,
      );
    }
  }

  onModuleDestroy(): void {
    this.shared.onModuleDestroy?.();
  }

  onApplicationShutdown(): void {
    this.local.onApplicationShutdown();
  }
}
