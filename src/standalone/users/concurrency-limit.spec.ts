import { concurrencyLimit } from './concurrency-limit';

describe('concurrencyLimit', () => {
  it('runs at most the limit at once, every call to its end, in the order given', async () => {
    const limited = concurrencyLimit(2);
    let running = 0;
    let mostAtOnce = 0;
    const started: number[] = [];
    const task = (id: number) => async () => {
      started.push(id);
      running += 1;
      mostAtOnce = Math.max(mostAtOnce, running);
      await new Promise((resolve) => setImmediate(resolve));
      running -= 1;
      return id;
    };
    const results = await Promise.all(
      [1, 2, 3, 4, 5].map((id) => limited(task(id))),
    );
    expect(results).toEqual([1, 2, 3, 4, 5]);
    expect(started).toEqual([1, 2, 3, 4, 5]);
    expect(mostAtOnce).toBe(2);
  });

  it('frees its place when a call fails', async () => {
    const limited = concurrencyLimit(1);
    await expect(
      limited(() => Promise.reject(new Error('no'))),
    ).rejects.toThrow('no');
    await expect(limited(() => Promise.resolve('next'))).resolves.toBe('next');
  });
});
