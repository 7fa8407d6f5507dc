import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { JwtService } from '@nestjs/jwt';
import { ResetToken } from '../../src/password-reset/tokens/reset-token.entity';
import type { ResetLinkClaims } from '../../src/password-reset/tokens/reset-token.service';
import { TEST_JWT_SECRET, TestServer } from './harness';

/** The module's default token lifetime. */
const TOKEN_LIFETIME_MS = 30 * 60 * 1000;

/** What a reset link's JWT says, read without checking it. */
export function claimsOf(link: string): ResetLinkClaims {
  return JSON.parse(
    Buffer.from(link.split('.')[1], 'base64url').toString('utf8'),
  );
}

/** Signs claims with the test server's secret: a link whose JWT the server takes as its own, whatever it says. */
export function signLink(claims: object): Promise<string> {
  return new JwtService({ secret: TEST_JWT_SECRET }).signAsync(claims);
}

/**
 * A live token of the user written straight into the table, as a request on
 * another instance at the same moment can leave one, and the link to it. The
 * row holds the SHA-256 of the raw value, as the module stores every token.
 */
export async function plantLiveToken(
  server: TestServer,
  userId: string,
): Promise<string> {
  const raw = randomBytes(32);
  const now = server.clock.now();
  const token: ResetToken = {
    id: randomUUID(),
    userId,
    tokenHash: createHash('sha256').update(raw).digest('hex'),
    purpose: 'reset',
    createdAt: now,
    expiresAt: now + TOKEN_LIFETIME_MS,
    usedAt: null,
    completedAt: null,
    revokedAt: null,
    failedSecondFactors: 0,
    codeHash: null,
    failedCodes: 0,
  };
  await server.dataSource.getRepository(ResetToken).insert(token);
  const claims: ResetLinkClaims = {
    sub: userId,
    jti: token.id,
    purpose: 'password-reset',
    tok: raw.toString('base64url'),
    iat: Math.floor(now / 1000),
    exp: Math.floor(token.expiresAt / 1000),
  };
  return signLink(claims);
}
