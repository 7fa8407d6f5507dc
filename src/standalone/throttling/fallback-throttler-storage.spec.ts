import { Logger } from '@nestjs/common';
import { ThrottlerStorage, ThrottlerStorageService } from '@nestjs/throttler';
import { FallbackThrottlerStorage } from './fallback-throttler-storage';

/** A shared store that answers or fails as the test says. */
class SharedStore implements ThrottlerStorage {
  failure: Error | undefined;
  readonly calls: unknown[][] = [];
  destroyed = 0;
  private readonly counters = new ThrottlerStorageService();

  async increment(...args: Parameters<ThrottlerStorage['increment']>) {
    this.calls.push(args);
    if (this.failure) throw this.failure;
    return this.counters.increment(...args);
  }

  onModuleDestroy(): void {
    this.destroyed += 1;
  }

  stop(): void {
    this.counters.onApplicationShutdown();
  }
}

describe('FallbackThrottlerStorage', () => {
  let shared: SharedStore;
  let storage: FallbackThrottlerStorage;
  let errors: jest.SpyInstance;
  let logs: jest.SpyInstance;
  const hit = () => storage.increment('ip', 60_000, 2, 0, 'default');

  beforeEach(() => {
    shared = new SharedStore();
    storage = new FallbackThrottlerStorage(shared);
    errors = jest
      .spyOn(Logger.prototype, 'error')
      .mockImplementation(() => undefined);
    logs = jest
      .spyOn(Logger.prototype, 'log')
      .mockImplementation(() => undefined);
  });
  afterEach(() => {
    storage.onApplicationShutdown();
    shared.stop();
    jest.restoreAllMocks();
  });

  it('counts in the shared store, passing every argument through, while it works', async () => {
    expect(await hit()).toMatchObject({ totalHits: 1, isBlocked: false });
    expect(await hit()).toMatchObject({ totalHits: 2 });
    expect(shared.calls).toEqual([
      ['ip', 60_000, 2, 0, 'default'],
      ['ip', 60_000, 2, 0, 'default'],
    ]);
    expect(errors).not.toHaveBeenCalled();
    expect(logs).not.toHaveBeenCalled();
  });

  it('counts locally while the shared store fails, still enforcing the limit, and logs the outage once', async () => {
    shared.failure = new Error('connection refused');
    expect(await hit()).toMatchObject({ totalHits: 1, isBlocked: false });
    expect(await hit()).toMatchObject({ totalHits: 2, isBlocked: false });
    expect(await hit()).toMatchObject({ totalHits: 3, isBlocked: true });
    expect(errors).toHaveBeenCalledTimes(1);
    expect(errors).toHaveBeenCalledWith(
      'Shared rate-limit store failed, counting locally: connection refused',
    );
    expect(errors.mock.contexts[0]).toMatchObject({
      context: 'PasswordResetThrottler',
    });
  });

  it('goes back to the shared store when it recovers, says so once, and logs a later outage again', async () => {
    shared.failure = new Error('down');
    await hit();
    shared.failure = undefined;
    expect(await hit()).toMatchObject({ totalHits: 1 });
    await hit();
    expect(logs).toHaveBeenCalledTimes(1);
    expect(logs).toHaveBeenCalledWith('Shared rate-limit store is back');
    shared.failure = new Error('down again');
    await hit();
    expect(errors).toHaveBeenCalledTimes(2);
  });

  it('waits at start until the shared store is connected', async () => {
    let connect!: () => void;
    const connected = new Promise<void>((resolve) => (connect = resolve));
    storage = new FallbackThrottlerStorage(shared, () => connected);
    let started = false;
    const starting = storage
      .onApplicationBootstrap()
      .then(() => (started = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toBe(false);
    connect();
    await starting;
    expect(errors).not.toHaveBeenCalled();
  });

  it('starts counting locally when the shared store cannot connect at start, logging that once', async () => {
    storage = new FallbackThrottlerStorage(shared, () =>
      Promise.reject(new Error('timed out')),
    );
    await storage.onApplicationBootstrap();
    shared.failure = new Error('still down');
    expect(await hit()).toMatchObject({ totalHits: 1 });
    expect(errors).toHaveBeenCalledTimes(1);
    expect(errors).toHaveBeenCalledWith(
      'Shared rate-limit store failed, counting locally: timed out',
    );
    shared.failure = undefined;
    await hit();
    expect(logs).toHaveBeenCalledWith('Shared rate-limit store is back');
  });

  it('closes the shared store with the module, and a store without a close hook is fine', () => {
    storage.onModuleDestroy();
    expect(shared.destroyed).toBe(1);
    expect(() =>
      new FallbackThrottlerStorage(
        new ThrottlerStorageService(),
      ).onModuleDestroy(),
    ).not.toThrow();
  });

  it('stops its local counters on shutdown', () => {
    const stopped = jest.spyOn(
      ThrottlerStorageService.prototype,
      'onApplicationShutdown',
    );
    storage.onApplicationShutdown();
    expect(stopped).toHaveBeenCalled();
  });
});
