import { createHmac, hkdfSync, randomInt, timingSafeEqual } from 'node:crypto';

/** The fewest and most digits a reset code may have (`code.digits`). */
export const RESET_CODE_DIGITS = { min: 6, max: 10 } as const;

/** Exactly `digits` decimal digits from the CSPRNG, leading zeros kept, no separators. */
export function makeResetCode(digits: number): string {
  return String(randomInt(10 ** digits)).padStart(digits, '0');
}

/** Whether `code` can be a code of `digits` digits at all. */
export function isResetCodeShaped(code: string, digits: number): boolean {
  return code.length === digits && /^[0-9]+$/.test(code);
}

/**
 * Reset codes as the table keeps them: HMAC-SHA256 under a key derived (HKDF)
 * from the module's signing secret, over the token's id and the code. A code
 * has only 10^6 to 10^10 values, which a plain hash would give away to anyone
 * holding the table in seconds; without the secret, the table tells nothing.
 * The token's id in the input makes each row's hash its own.
 */
export class ResetCodeHasher {
  private readonly key: Buffer;

  constructor(secret: string) {
    this.key = Buffer.from(
      hkdfSync('sha256', secret, '', 'nestjs-password-reset reset code', 32),
    );
  }

  hash(tokenId: string, code: string): string {
    return createHmac('sha256', this.key)
      .update(`${tokenId}\0${code}`)
      .digest('hex');
  }

  /** Compares in constant time; a row without a code (`storedHash` null) matches nothing, after the same work. */
  matches(storedHash: string | null, tokenId: string, code: string): boolean {
    const presented = Buffer.from(this.hash(tokenId, code), 'hex');
    const stored = Buffer.from(storedHash ?? '', 'hex');
    return (
      presented.length === stored.length && timingSafeEqual(presented, stored)
    );
  }
}
