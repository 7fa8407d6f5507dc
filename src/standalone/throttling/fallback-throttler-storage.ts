import {
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
  OnModuleDestroy,
} from '@nestjs/common';
import { ThrottlerStorage, ThrottlerStorageService } from '@nestjs/throttler';
import type { ThrottlerStorageRecord } from '@nestjs/throttler/dist/throttler-storage-record.interface';

/**
 * Shared counters (Redis) with a way out: while the shared store fails, each
 * instance counts in its own memory and says so in the log, so a Redis outage
 * neither stops the service nor lifts the limits.
 *
 * The application starts answering only once the shared store is connected or
 * has failed: a request counted locally while the connection was still being
 * made would be missing from the count every other instance sees.
 */
export class FallbackThrottlerStorage
  implements
    ThrottlerStorage,
    OnApplicationBootstrap,
    OnModuleDestroy,
    OnApplicationShutdown
{
  private readonly logger = new Logger('PasswordResetThrottler');
  private readonly local = new ThrottlerStorageService();
  private failing = false;

  constructor(
    private readonly shared: ThrottlerStorage & Partial<OnModuleDestroy>,
    /** Settles when the shared store can take commands, or rejects when it cannot. */
    private readonly sharedConnected: () => Promise<void> = async () => {},
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    try {
      await this.sharedConnected();
    } catch (error) {
      this.fellBack(error as Error);
    }
  }

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
      this.fellBack(error as Error);
      return this.local.increment(
        key,
        ttl,
        limit,
        blockDuration,
        throttlerName,
      );
    }
  }

  private fellBack(error: Error): void {
    if (!this.failing)
      this.logger.error(
        `Shared rate-limit store failed, counting locally: ${error.message}`,
      );
    this.failing = true;
  }

  onModuleDestroy(): void {
    this.shared.onModuleDestroy?.();
  }

  onApplicationShutdown(): void {
    this.local.onApplicationShutdown();
  }
}
