import { Injectable, Logger } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';

interface AsyncEventEmitter {
  emitAsync(event: string, ...values: unknown[]): Promise<unknown[]>;
  listeners(event: string): unknown[];
}

interface ReadinessWatcher {
  waitUntilReady(): Promise<void>;
}

type EventEmitterPackage = {
  EventEmitter2: unknown;
  EventEmitterReadinessWatcher?: unknown;
};

function eventEmitterPackage(): EventEmitterPackage | undefined {
  try {
    return require('@nestjs/event-emitter');
  } catch {
    return undefined;
  }
}

/**
 * The host's EventEmitter2, if it imports `EventEmitterModule` (an optional
 * peer): the module emits on the host's own emitter, where its `@OnEvent`
 * listeners are, and works all the same without one. Looked up when needed:
 * the host's emitter may be made after the module's services.
 */
@Injectable()
export class HostEvents {
  private readonly logger = new Logger('PasswordResetEvents');

  constructor(private readonly moduleRef: ModuleRef) {}

  /** Awaits every listener; a listener's failure is the caller's. */
  async emitAndAwait(event: string, payload: unknown): Promise<void> {
    await this.emitter()?.emitAsync(event, payload);
  }

  /**
   * For the audit trail: the listeners run after the work at hand is done and
   * are never awaited, so they change neither an answer nor its timing; one
   * that fails is logged.
   */
  emitDetached(event: string, payload: unknown): void {
    const emitter = this.emitter();
    if (!emitter) return;
    setImmediate(() => {
      emitter.emitAsync(event, payload).catch((error: unknown) => {
        this.logger.warn(
          `A listener of ${event} failed: ${error instanceof Error ? error.message : String(error)}`,
        );
      });
    });
  }

  /**
   * Whether anyone listens for `event`, asked once the host's `@OnEvent`
   * listeners are subscribed (that happens at application bootstrap, maybe
   * after the module's own hooks ran).
   */
  async hasListeners(event: string): Promise<boolean> {
    const emitter = this.emitter();
    if (!emitter) return false;
    // A loader that failed has said so itself; the listeners it did subscribe still count.
    await this.find<ReadinessWatcher>(
      eventEmitterPackage()?.EventEmitterReadinessWatcher,
    )
      ?.waitUntilReady()
      .catch(() => undefined);
    return emitter.listeners(event).length > 0;
  }

  private emitter(): AsyncEventEmitter | undefined {
    return this.find<AsyncEventEmitter>(eventEmitterPackage()?.EventEmitter2);
  }

  private find<T>(token: unknown): T | undefined {
    if (!token) return undefined;
    try {
      return this.moduleRef.get(token as never, { strict: false });
    } catch {
      return undefined;
    }
  }
}
