import {
  createHash,
  randomBytes,
  randomInt,
  randomUUID,
  timingSafeEqual,
} from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, IsNull, LessThan, MoreThan, Repository } from 'typeorm';
import { systemClock } from '../clock';
import type { Clock } from '../clock';
import { databaseNow } from '../persistence/database-clock';
import type { ResolvedPasswordResetOptions } from '../options/resolve-options';
import {
  PASSWORD_RESET_CLOCK,
  PASSWORD_RESET_JWT,
  PASSWORD_RESET_RESOLVED_OPTIONS,
} from '../password-reset.constants';
import type { PasswordLinkPurpose } from '../links/password-link-purpose';
import { ResetToken } from './reset-token.entity';
import { makeResetCode, ResetCodeHasher } from './reset-code';

/** The rows a code against no reset changes (see writeAsAnAttemptDoes); a few, so that such codes seldom wait for each other's row lock. */
const DECOY_TOKEN_IDS = Array.from(
  { length: 16 },
  (_, i) => `password-reset-decoy-${String(i).padStart(2, '0')}`,
);
/** The JWT's `purpose` claim of each kind of link. */
const PURPOSE_CLAIM: Record<PasswordLinkPurpose, string> = {
  reset: 'password-reset',
  invite: 'password-invite',
};

export interface IssuedResetToken {
  tokenId: string;
  purpose: PasswordLinkPurpose;
  /** The JWT that goes into the link. */
  link: string;
  expiresAt: number;
  /** The reset code for the mail, when codes are on. */
  code?: string;
}

export interface ResetLinkClaims {
  sub: string;
  jti: string;
  purpose: string;
  /** The raw token, base64url. */
  tok: string;
  /** The checked return address the request came with, if any. */
  ret?: string;
  iat: number;
  exp: number;
}

/** What a link was issued with, besides its user. */
export interface ResetLinkContents {
  returnTo?: string | null;
  /** Default `reset`. */
  purpose?: PasswordLinkPurpose;
  /** Null or left out: `tokenTtl`, or `inviteTtl` for an invite. */
  ttlMs?: number | null;
}

/** A live token, with what its link carries. */
export type FoundResetToken = ResetToken & { returnTo?: string };

/**
 * The whole life of a reset token, stated once:
 *
 * - Made: 32 bytes from the CSPRNG. The raw value goes into the mail and nowhere else.
 * - Hashed: the table keeps SHA-256 of the raw value. A fast hash is enough
 *   because the value has 256 bits of entropy; nothing can be guessed from it.
 * - Carried: inside a JWT signed with the module's secret that names the user
 *   (`sub`), the token row (`jti`) and the purpose, with `exp` = the token's expiry.
 * - Leads back: a `returnTo` the request came with, checked against
 *   `returnUrls` before the request was recorded, rides in the JWT (`ret`) and
 *   nowhere a client can change it; after the reset it is given back only
 *   from there, and only if `returnUrls` still allows it.
 * - Checked: the JWT first (signature, expiry, purpose), so a forged link costs
 *   no query; then the row: same user, same purpose, hash matches, not used, not revoked,
 *   not expired, and fewer wrong second-factor codes than `secondFactorAttempts`.
 * - Guessed at: each second-factor code first takes one attempt from the row
 *   by a conditional UPDATE (`failed_second_factors < max`) and is checked
 *   only if it got one; a right code gives its attempt back. So however many
 *   arrive at once, at most `secondFactorAttempts` wrong codes are ever
 *   checked against a link, and after that many the link is dead.
 * - With a code: when `code.digits` is set, a reset token (not an
 *   invitation) also gets a code of
 *   that many digits (`crypto.randomInt`), which goes into the same mail. The
 *   table keeps an HMAC of it under a key derived from the module's secret
 *   (ResetCodeHasher), so a leaked table cannot be tried against all 10^digits
 *   codes. A code is sent with the username; it names no row, so it is checked
 *   against the user's newest live token (newest as below), and against no
 *   other. An unknown user (or one without a live token, or without
 *   attempts left) costs the same lookup, which then reads a decoy row, the
 *   same HMAC, for a random id, and one row changed as an attempt changes
 *   one. Codes are guessed at as second-factor codes are: each takes
 *   one attempt (`failed_codes < code.attempts`) before it is compared, a
 *   right one gives it back, and after `code.attempts` wrong ones the token
 *   is dead, link and code alike. Link and code are one token: spending,
 *   superseding or revoking it ends both.
 * - For: `reset` (a forgotten password) or `invite` (the first password of a
 *   user an operator or host code invited, `sendPasswordLink`). The row and
 *   the JWT's `purpose` claim both say which, and must agree, so a link of one
 *   purpose is never taken as the other, with the other's lifetime or wording.
 *   Invitations follow every rule here as reset links do: one live link per
 *   user, whichever purpose, the newer superseding the older.
 * - Expires: `tokenTtl` after it was made, `inviteTtl` for an invitation, or
 *   the lifetime `sendPasswordLink` was given.
 * - Superseded: only the newest live token of a user works, newest by
 *   (`created_at`, `id`). `created_at` is the database's clock, which all
 *   instances share (one whose own clock runs ahead must not make its older
 *   token the newer), and this process never repeats it. Whoever makes a
 *   token, once it is committed, looks up the newest and revokes the live ones
 *   older than that, so two instances making tokens for one user at once still
 *   leave exactly one: the newest is never revoked, and whichever of the two
 *   looks last sees the other.
 * - Not made for a mail asked for before the password changed: a reset mail
 *   still waiting (or waiting to be retried) when a reset succeeds is dropped
 *   unsent, so no link made after the change comes from a request made before it.
 * - Made again for a dead mail: an operator's `retry-dead` queues a dead reset
 *   mail again only as a fresh request would be: not once a newer reset mail
 *   was queued for the user, nor once the password changed after it was asked
 *   for, and counted against the per-account limit (`retryDeadMail`). So a
 *   retried mail never takes the live link away from the user's newest mail.
 * - Consumed: by one conditional UPDATE, so of concurrent uses exactly one wins.
 *   From then until the new password is stored (`completed_at`) the reset is
 *   in flight; a consumed token that has not completed within `IN_FLIGHT_MS` is
 *   taken to have died with its process.
 * - Revoked: every live token of a user, after a reset or any other password
 *   change; a change made another way first waits for resets in flight, so
 *   that it lands after them and not under them.
 * - Forgotten: deleted a while after expiry (the worker prunes).
 */
/**
 * The two calls made on the module's JwtService, stated here so that the
 * published declarations do not import the ES-module-only `@nestjs/jwt`,
 * which a CommonJS host's compiler refuses (TS1479).
 */
interface ResetLinkSigner {
  signAsync(claims: ResetLinkClaims): Promise<string>;
  verifyAsync<T extends object>(
    link: string,
    options: { algorithms: ['HS256']; clockTimestamp: number },
  ): Promise<T>;
}

@Injectable()
export class ResetTokenService {
  private lastMadeAt = 0;
  private readonly codeHasher: ResetCodeHasher;

  constructor(
    @InjectRepository(ResetToken)
    private readonly tokens: Repository<ResetToken>,
    @Inject(PASSWORD_RESET_JWT) private readonly jwt: ResetLinkSigner,
    @Inject(PASSWORD_RESET_CLOCK) private readonly clock: Clock,
    @Inject(PASSWORD_RESET_RESOLVED_OPTIONS)
    private readonly options: Pick<
      ResolvedPasswordResetOptions,
      | 'tokenTtlMs'
      | 'inviteTtlMs'
      | 'secondFactorAttempts'
      | 'code'
      | 'jwtSecret'
      | 'returnAddresses'
    >,
  ) {
    this.codeHasher = new ResetCodeHasher(options.jwtSecret);
  }

  /** Makes a token for the user, superseding the older ones, and returns the JWT for the link. */
  async issue(
    userId: string,
    contents: ResetLinkContents = {},
  ): Promise<IssuedResetToken> {
    const raw = randomBytes(32);
    // Strictly increasing within the process, so that a later token is also the newer one.
    const madeAt = (this.lastMadeAt = Math.max(
      await databaseNow(this.tokens.manager),
      this.lastMadeAt + 1,
    ));
    const now = this.clock.now();
    const id = randomUUID();
    const purpose = contents.purpose ?? 'reset';
    const ttlMs =
      contents.ttlMs ??
      (purpose === 'invite'
        ? this.options.inviteTtlMs
        : this.options.tokenTtlMs);
    // An invitation's mail carries no code: codes are for a forgotten password.
    const { digits } = this.options.code;
    const code =
      digits > 0 && purpose === 'reset' ? makeResetCode(digits) : undefined;
    const token: ResetToken = {
      id,
      userId,
      tokenHash: hash(raw),
      purpose,
      createdAt: madeAt,
      expiresAt: now + ttlMs,
      usedAt: null,
      completedAt: null,
      revokedAt: null,
      failedSecondFactors: 0,
      codeHash: code === undefined ? null : this.codeHasher.hash(id, code),
      failedCodes: 0,
    };
    await this.tokens.insert(token);
    await this.revokeAllButNewestOf(userId);
    const claims: ResetLinkClaims = {
      sub: userId,
      jti: token.id,
      purpose: PURPOSE_CLAIM[purpose],
      tok: raw.toString('base64url'),
      ...(contents.returnTo && { ret: contents.returnTo }),
      iat: Math.floor(now / 1000),
      exp: Math.floor(token.expiresAt / 1000),
    };
    return {
      tokenId: token.id,
      purpose,
      link: await this.jwt.signAsync(claims),
      expiresAt: token.expiresAt,
      ...(code !== undefined && { code }),
    };
  }

  /** The live token a link names, or null; reads only, so previews and checks never spend it. */
  async find(link: string): Promise<FoundResetToken | null> {
    const claims = await this.verifyLink(link);
    if (!claims) return null;
    const token = await this.tokens.findOneBy({ id: claims.jti });
    if (
      !token ||
      token.userId !== claims.sub ||
      PURPOSE_CLAIM[token.purpose] !== claims.purpose ||
      !hashMatches(token.tokenHash, claims.tok)
    )
      return null;
    const usable =
      isLive(token, this.clock.now()) &&
      token.failedSecondFactors < this.options.secondFactorAttempts &&
      token.failedCodes < this.options.code.attempts;
    if (!usable) return null;
    const returnTo =
      claims.ret === undefined
        ? undefined
        : this.options.returnAddresses.check(claims.ret);
    return returnTo ? { ...token, returnTo } : token;
  }

  /**
   * The user's newest live token, if `code` is its code; null for a wrong
   * code, one with no attempt left, or no such token. The same work for
   * `userId` null (no such user). A wrong code keeps the attempt it took; a
   * right one gives it back, so checking a right code spends nothing.
   */
  async findByCode(
    userId: string | null,
    code: string,
  ): Promise<ResetToken | null> {
    const now = this.clock.now();
    const decoyId = DECOY_TOKEN_IDS[randomInt(DECOY_TOKEN_IDS.length)];
    // With a decoy, which sorts last: a row is read whether or not there is a reset.
    const found = await this.tokens.findOne({
      where: [
        { ...liveTokensOf(userId ?? randomUUID()), expiresAt: MoreThan(now) },
        { id: decoyId },
      ],
      order: { createdAt: 'DESC', id: 'DESC' },
    });
    const newest = found?.id === decoyId ? null : found;
    const tokenId = newest?.id ?? randomUUID();
    const max = this.options.code.attempts;
    const attempted =
      newest !== null &&
      newest.codeHash !== null &&
      newest.failedCodes < max &&
      (await this.takeCodeAttempt(tokenId, max));
    if (!attempted) await this.writeAsAnAttemptDoes(decoyId, now);
    const right = this.codeHasher.matches(
      newest?.codeHash ?? null,
      tokenId,
      code,
    );
    if (!newest || !attempted || !right) return null;
    await this.tokens
      .createQueryBuilder()
      .update(ResetToken)
      .set({ failedCodes: () => 'failed_codes - 1' })
      .where('id = :id AND failed_codes > 0', { id: tokenId })
      .execute();
    return newest;
  }

  /** One conditional UPDATE, so that concurrent callers never take more attempts than `max`. */
  private async takeCodeAttempt(
    tokenId: string,
    max: number,
  ): Promise<boolean> {
    const result = await this.tokens
      .createQueryBuilder()
      .update(ResetToken)
      .set({ failedCodes: () => 'failed_codes + 1' })
      .where('id = :id AND code_hash IS NOT NULL AND failed_codes < :max', {
        id: tokenId,
        max,
      })
      .execute();
    return result.affected === 1;
  }

  /**
   * A code against no reset with attempts left (no such user, none live, or
   * none left) changes one row, as taking an attempt does: a statement that
   * changes nothing commits without flushing the database's log, which
   * PostgreSQL shows by milliseconds, and a new row costs SQLite more than a
   * changed one. The row is one of a few tokens of no user, dead from the
   * start (revoked, expired), made when first needed and pruned with the
   * others; the lookup reads it too, so that a row is read either way.
   */
  private async writeAsAnAttemptDoes(id: string, now: number): Promise<void> {
    const changed = await this.tokens
      .createQueryBuilder()
      .update(ResetToken)
      // Always a change: MariaDB writes nothing for a row set to what it holds.
      .set({ failedCodes: () => '1 - failed_codes' })
      .where('id = :id', { id })
      .execute();
    if (changed.affected === 1) return;
    await this.tokens
      .createQueryBuilder()
      .insert()
      .into(ResetToken)
      .values({
        id,
        userId: id,
        tokenHash: randomBytes(32).toString('hex'),
        // Older than any token, so that the lookup that reads it with the user's takes it last.
        createdAt: 0,
        expiresAt: 0,
        usedAt: null,
        completedAt: null,
        revokedAt: now,
        failedSecondFactors: 0,
        codeHash: null,
        failedCodes: 0,
      })
      .orIgnore()
      .execute();
  }

  /** Spends the token; true for exactly one of any number of concurrent callers. */
  async consume(token: ResetToken): Promise<boolean> {
    const now = this.clock.now();
    const result = await this.tokens
      .createQueryBuilder()
      .update(ResetToken)
      .set({ usedAt: now })
      .where(
        'id = :id AND used_at IS NULL AND revoked_at IS NULL AND expires_at > :now AND failed_codes < :maxCodes',
        { id: token.id, now, maxCodes: this.options.code.attempts },
      )
      .execute();
    return result.affected === 1;
  }

  /**
   * Takes one of the link's second-factor attempts, before a code is checked;
   * false when none is left. One conditional UPDATE, so concurrent callers
   * never take more than the link allows.
   */
  async takeSecondFactorAttempt(token: ResetToken): Promise<boolean> {
    const result = await this.tokens
      .createQueryBuilder()
      .update(ResetToken)
      .set({ failedSecondFactors: () => 'failed_second_factors + 1' })
      .where('id = :id AND failed_second_factors < :max', {
        id: token.id,
        max: this.options.secondFactorAttempts,
      })
      .execute();
    return result.affected === 1;
  }

  /** Gives back the attempt a right code took: only wrong codes count against the link. */
  async giveBackSecondFactorAttempt(token: ResetToken): Promise<void> {
    await this.tokens
      .createQueryBuilder()
      .update(ResetToken)
      .set({ failedSecondFactors: () => 'failed_second_factors - 1' })
      .where('id = :id AND failed_second_factors > 0', { id: token.id })
      .execute();
  }

  /** Ends the reset in flight: the password the token set is stored. Within the caller's transaction. */
  async complete(token: ResetToken, manager: EntityManager): Promise<void> {
    await manager.update(
      ResetToken,
      { id: token.id },
      { completedAt: this.clock.now() },
    );
  }

  /** Gives a consumed token back when the password could not be stored after all. */
  async restore(token: ResetToken): Promise<void> {
    await this.tokens.update({ id: token.id }, { usedAt: null });
  }

  /** Revokes one token, such as the one of a mail that could not be delivered. */
  async revoke(tokenId: string): Promise<void> {
    await this.tokens.update(
      { id: tokenId, usedAt: IsNull(), revokedAt: IsNull() },
      { revokedAt: this.clock.now() },
    );
  }

  /** Revokes every live token of the user, within the caller's transaction if given one. */
  revokeAllOf(
    userId: string,
    manager: EntityManager = this.tokens.manager,
  ): Promise<void> {
    return revokeLiveTokensOf(manager, userId, this.clock.now());
  }

  /**
   * Most users have one live token, the one just made: reading the two newest
   * tells that there is nothing older to revoke, without an UPDATE. A token
   * committed after this read is settled by its own maker's look, which
   * comes after that commit and so sees the newest committed here.
   */
  private async revokeAllButNewestOf(userId: string): Promise<void> {
    const [newest, older] = await this.tokens.find({
      select: { id: true, createdAt: true },
      where: liveTokensOf(userId),
      order: { createdAt: 'DESC', id: 'DESC' },
      take: 2,
    });
    if (!older) return;
    await this.tokens
      .createQueryBuilder()
      .update(ResetToken)
      .set({ revokedAt: this.clock.now() })
      .where('user_id = :userId AND used_at IS NULL AND revoked_at IS NULL', {
        userId,
      })
      .andWhere(
        '(created_at < :createdAt OR (created_at = :createdAt AND id < :id))',
        { createdAt: newest.createdAt, id: newest.id },
      )
      .execute();
  }

  /** Forgets tokens that expired before `before`; they can never be used again anyway. */
  async prune(before: number): Promise<void> {
    await this.tokens.delete({ expiresAt: LessThan(before) });
  }

  private async verifyLink(link: string): Promise<ResetLinkClaims | null> {
    try {
      const claims = await this.jwt.verifyAsync<ResetLinkClaims>(link, {
        algorithms: ['HS256'],
        clockTimestamp: Math.floor(this.clock.now() / 1000),
      });
      const wellFormed =
        Object.values(PURPOSE_CLAIM).includes(claims.purpose) &&
        // Stryker disable next-line ConditionalExpression: a sub that is no string never equals the row's user id, so find() refuses it either way
        typeof claims.sub === 'string' &&
        typeof claims.jti === 'string' &&
        typeof claims.tok === 'string' &&
        (claims.ret === undefined || typeof claims.ret === 'string');
      return wellFormed ? claims : null;
    } catch {
      return null;
    }
  }
}

function hash(raw: Buffer): string {
  return createHash('sha256').update(raw).digest('hex');
}

function hashMatches(storedHash: string, rawBase64url: string): boolean {
  const presented = Buffer.from(
    hash(Buffer.from(rawBase64url, 'base64url')),
    'hex',
  );
  const stored = Buffer.from(storedHash, 'hex');
  return (
    presented.length === stored.length && timingSafeEqual(presented, stored)
  );
}

function isLive(token: ResetToken, now: number): boolean {
  return (
    token.usedAt === null && token.revokedAt === null && token.expiresAt > now
  );
}

function liveTokensOf(userId: string) {
  return { userId, usedAt: IsNull(), revokedAt: IsNull() };
}

/** Revokes every live token of the user; for user stores that change passwords in their own transaction. */
export async function revokeLiveTokensOf(
  manager: EntityManager,
  userId: string,
  now: number,
): Promise<void> {
  await manager.update(ResetToken, liveTokensOf(userId), { revokedAt: now });
}

/** Longer than any password store takes to store a password; past it, a reset in flight is presumed dead. */
export const IN_FLIGHT_MS = 60_000;
const IN_FLIGHT_POLL_MS = 25;

/**
 * For a password change made any other way (an admin, a settings page, the
 * CLI): revokes every live token of the user, then waits until no reset of the
 * user is in flight, so that the change, stored after this returns, is the
 * one that stays. Works across instances, through the database alone.
 */
export async function revokeTokensAndAwaitResets(
  manager: EntityManager,
  userId: string,
  clock: Clock = systemClock,
): Promise<void> {
  await revokeLiveTokensOf(manager, userId, clock.now());
  const inFlight = () =>
    manager.exists(ResetToken, {
      where: {
        userId,
        usedAt: MoreThan(clock.now() - IN_FLIGHT_MS),
        completedAt: IsNull(),
      },
    });
  while (await inFlight())
    await new Promise((resolve) => setTimeout(resolve, IN_FLIGHT_POLL_MS));
}
