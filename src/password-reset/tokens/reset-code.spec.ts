import { createHash, createHmac, hkdfSync } from 'node:crypto';
import {
  isResetCodeShaped,
  makeResetCode,
  ResetCodeHasher,
} from './reset-code';

const SECRET = 'unit-test-secret-unit-test-secret-unit-test';
const TOKEN_ID = '0b7c4c1e-2f7e-4b8e-9a57-1d2f3c4b5a69';

describe('makeResetCode', () => {
  it('makes exactly the digits asked for, leading zeros kept, nothing but digits', () => {
    for (const digits of [6, 8, 10]) {
      const codes = Array.from({ length: 2000 }, () => makeResetCode(digits));
      for (const code of codes)
        expect(code).toMatch(new RegExp(`^[0-9]{${digits}}$`));
      // Zero-padded: about one code in ten starts with 0.
      expect(codes.some((code) => code.startsWith('0'))).toBe(true);
      expect(new Set(codes).size).toBeGreaterThan(1990);
    }
  });

  it('uses every digit in every place', () => {
    const codes = Array.from({ length: 3000 }, () => makeResetCode(6));
    for (let place = 0; place < 6; place++)
      expect(new Set(codes.map((code) => code[place])).size).toBe(10);
  });
});

describe('isResetCodeShaped', () => {
  it('takes only a run of exactly that many ASCII digits', () => {
    expect(isResetCodeShaped('012345', 6)).toBe(true);
    for (const code of [
      '12345',
      '1234567',
      '12 345',
      '12-345',
      '１２３４５６',
      '٠١٢٣٤٥',
      '+12345',
      '',
    ])
      expect(isResetCodeShaped(code, 6)).toBe(false);
  });
});

describe('ResetCodeHasher', () => {
  const hasher = new ResetCodeHasher(SECRET);

  it('is HMAC-SHA256 under an HKDF key of the secret, over the token id and the code; never a plain hash', () => {
    const key = Buffer.from(
      hkdfSync('sha256', SECRET, '', 'nestjs-password-reset reset code', 32),
    );
    expect(hasher.hash(TOKEN_ID, '123456')).toBe(
      createHmac('sha256', key).update(`${TOKEN_ID}\u0000123456`).digest('hex'),
    );
    expect(hasher.hash(TOKEN_ID, '123456')).not.toBe(
      createHash('sha256').update('123456').digest('hex'),
    );
    expect(hasher.hash(TOKEN_ID, '123456')).not.toBe(
      createHmac('sha256', SECRET)
        .update(`${TOKEN_ID}\u0000123456`)
        .digest('hex'),
    );
  });

  it('gives another hash for another secret, token or code', () => {
    const hash = hasher.hash(TOKEN_ID, '123456');
    expect(
      new ResetCodeHasher(`${SECRET}-other`).hash(TOKEN_ID, '123456'),
    ).not.toBe(hash);
    expect(hasher.hash(TOKEN_ID.replace('0b', '0c'), '123456')).not.toBe(hash);
    expect(hasher.hash(TOKEN_ID, '123457')).not.toBe(hash);
  });

  it('matches the right code of the right token only, and nothing against a row without a code', () => {
    const stored = hasher.hash(TOKEN_ID, '004711');
    expect(hasher.matches(stored, TOKEN_ID, '004711')).toBe(true);
    expect(hasher.matches(stored, TOKEN_ID, '004712')).toBe(false);
    expect(hasher.matches(stored, TOKEN_ID.replace('0b', '0c'), '004711')).toBe(
      false,
    );
    expect(hasher.matches(null, TOKEN_ID, '004711')).toBe(false);
  });
});
