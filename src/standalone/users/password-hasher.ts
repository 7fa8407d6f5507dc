import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { concurrencyLimit } from './concurrency-limit';

/**
 * scrypt from Node's own crypto: no native module to build, and the work runs
 * on libuv's thread pool, so the event loop never waits for it. The parameters
 * are one of OWASP's equal-strength scrypt configurations (N=2^15, r=8, p=3),
 * 32 MiB per derivation: with 64 MiB (N=2^16, p=2) a burst of resets took the
 * server past 256 MiB resident. Not a smaller row: OpenSSL allocates the
 * derivation's memory in one block, and glibc by default serves a block of
 * 32 MiB or less from the arena of whichever pool thread ran it and keeps it
 * there, one per thread, where a larger one is mapped and unmapped each time
 * (N=2^14, p=5, 16 MiB, left the burst's peak higher than N=2^15 did).
 * `npm start` has glibc map every block from 4 MiB up (its `GLIBC_TUNABLES`);
 * a server started without that setting keeps one such block per thread.
 * Stored as `scrypt$N$r$p$salt$key`, so hashes made with other parameters
 * still verify, and are made again with these on the next successful check.
 */
const COST = 2 ** 15;
const BLOCK_SIZE = 8;
const PARALLELISM = 3;
const KEY_LENGTH = 32;

/**
 * Each derivation holds 128·N·r bytes and a thread of libuv's pool for a
 * quarter of a second or more. Unbounded, a burst of resets takes all four
 * threads, and leaves the event loop, which answers every other request,
 * little of a small machine: so one fewer than the cores.
 */
const derivations = concurrencyLimit(Math.max(1, availableParallelism() - 1));

function derive(
  password: string,
  salt: Buffer,
  N: number,
  r: number,
  p: number,
): Promise<Buffer> {
  return derivations(
    () =>
      new Promise((resolve, reject) =>
        scrypt(
          password.normalize('NFKC'),
          salt,
          KEY_LENGTH,
          { N, r, p, maxmem: 256 * N * r },
          (error, key) => (error ? reject(error) : resolve(key)),
        ),
      ),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, COST, BLOCK_SIZE, PARALLELISM);
  return [
    'scrypt',
    COST,
    BLOCK_SIZE,
    PARALLELISM,
    salt.toString('base64'),
    key.toString('base64'),
  ].join('$');
}

/** Whether `stored` was made with other parameters than today's, and so should be made again once the password is known. */
export function needsRehash(stored: string): boolean {
  return (
    stored !== '' &&
    !stored.startsWith(['scrypt', COST, BLOCK_SIZE, PARALLELISM, ''].join('$'))
  );
}

/**
 * A stored value no password matches, for a user who has none yet (an
 * invited one), as Django's `set_unusable_password`: not of the `scrypt`
 * scheme, so `verifyPassword` refuses every password, and random, so no two
 * such users share it.
 */
export function unusablePassword(): string {
  return `!${randomBytes(30).toString('base64url')}`;
}

export async function verifyPassword(
  password: string,
  stored: string,
): Promise<boolean> {
  const [scheme, N, r, p, salt, key] = stored.split('$');
  if (scheme !== 'scrypt') return false;
  const expected = Buffer.from(key, 'base64');
  const actual = await derive(
    password,
    Buffer.from(salt, 'base64'),
    Number(N),
    Number(r),
    Number(p),
  );
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
