import type { MailQueueStatus } from '../mail/mail-queue';
import {
  QUEUE_STATUS_MAX_AGE_MS,
  SharedQueueStatus,
} from './shared-queue-status';

const STATUS: MailQueueStatus = {
  requestsWaiting: 3,
  oldestRequestAgeSeconds: 1,
  kinds: [],
};

function setUp() {
  let now = 1_000_000;
  const reads: Array<{
    resolve: (status: MailQueueStatus) => void;
    reject: (error: Error) => void;
  }> = [];
  const failures: unknown[] = [];
  const read = jest.fn(
    () =>
      new Promise<MailQueueStatus>((resolve, reject) =>
        reads.push({ resolve, reject }),
      ),
  );
  const shared = new SharedQueueStatus(read, { now: () => now }, (error) =>
    failures.push(error),
  );
  return {
    shared,
    read,
    reads,
    failures,
    advance: (ms: number) => (now += ms),
  };
}

describe('SharedQueueStatus', () => {
  it('reads once for every caller while a read is under way, and not again until the status is old', async () => {
    const { shared, read, reads, advance } = setUp();
    const waiting = Array.from({ length: 8 }, () => shared.current());
    expect(read).toHaveBeenCalledTimes(1);
    reads[0].resolve(STATUS);
    expect(await Promise.all(waiting)).toEqual(Array(8).fill(STATUS));

    advance(QUEUE_STATUS_MAX_AGE_MS - 1);
    expect(await shared.current()).toBe(STATUS);
    expect(read).toHaveBeenCalledTimes(1);

    advance(1);
    const fresh = shared.current();
    expect(read).toHaveBeenCalledTimes(2);
    reads[1].resolve({ ...STATUS, requestsWaiting: 4 });
    expect((await fresh)?.requestsWaiting).toBe(4);
  });

  it('starts no second read while a slow one is still under way, however old it gets', async () => {
    const { shared, read, reads, advance } = setUp();
    const first = shared.current();
    advance(10 * QUEUE_STATUS_MAX_AGE_MS);
    const second = shared.current();
    expect(read).toHaveBeenCalledTimes(1);
    reads[0].resolve(STATUS);
    expect(await Promise.all([first, second])).toEqual([STATUS, STATUS]);
  });

  it('keeps a failed read as no status for as long, and reports it once', async () => {
    const { shared, read, reads, failures, advance } = setUp();
    const failing = shared.current();
    reads[0].reject(new Error('database gone'));
    expect(await failing).toBeUndefined();
    expect(await shared.current()).toBeUndefined();
    expect(read).toHaveBeenCalledTimes(1);
    expect(failures).toEqual([new Error('database gone')]);

    advance(QUEUE_STATUS_MAX_AGE_MS);
    const recovered = shared.current();
    reads[1].resolve(STATUS);
    expect(await recovered).toBe(STATUS);
  });
});
