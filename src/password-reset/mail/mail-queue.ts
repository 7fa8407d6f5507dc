import { DataSource, EntityManager, LessThan, MoreThan } from 'typeorm';
import {
  lockAccount,
  resetMailsQueuedSince,
} from '../account-limit/account-limit';
import { systemClock } from '../clock';
import type { Clock } from '../clock';
import type { AccountLimit } from '../interfaces/password-reset-module-options.interface';
import { PASSWORD_RESET_DEFAULTS } from '../options/password-reset-defaults';
import { locksRows } from '../persistence/row-locks';
import { ResetRequest } from '../requests/reset-request.entity';
import {
  OutboxMail,
  OutboxMailKind,
  OutboxMailStatus,
} from './outbox-mail.entity';
import {
  linkToQueue,
  type PasswordLinkOptions,
  queuePasswordLink,
} from '../links/password-links';
import { ReturnAddresses } from '../links/return-address';

const HOUR_MS = 60 * 60 * 1000;

/** What the queue holds of one kind of mail. */
export interface MailQueueKindStatus {
  kind: OutboxMailKind;
  /** Due or waiting for a retry. */
  pending: number;
  /** Claimed by a worker, under its lease. */
  sending: number;
  sentLastHour: number;
  /** Sent in the last hour in a way that may have delivered it, not confirmed. */
  unconfirmedLastHour: number;
  dead: number;
  /** Age of the oldest mail not yet delivered (pending or sending), null when there is none. */
  oldestPendingAgeSeconds: number | null;
}

/** The whole queue: requests not yet turned into mail, and each kind of mail by state. */
export interface MailQueueStatus {
  /** Requests recorded and not yet turned into mail (or dropped). */
  requestsWaiting: number;
  oldestRequestAgeSeconds: number | null;
  kinds: MailQueueKindStatus[];
}

const KINDS: OutboxMailKind[] = ['reset-password', 'password-changed'];

interface Group {
  kind: OutboxMailKind;
  status: OutboxMailStatus;
  count: string | number;
  oldest: string | number | null;
}

const ageSeconds = (now: number, since: string | number | null | undefined) =>
  since === null || since === undefined
    ? null
    : Math.max(0, Math.round((now - Number(since)) / 1000));

/** The queue as an operator (`npm run mail -- status`) and `/metrics` see it; the same on every instance. */
export async function mailQueueStatus(
  manager: EntityManager,
  now: number,
): Promise<MailQueueStatus> {
  const groups: Group[] = await manager
    .createQueryBuilder(OutboxMail, 'mail')
    .select('mail.kind', 'kind')
    .addSelect('mail.status', 'status')
    .addSelect('COUNT(*)', 'count')
    .addSelect('MIN(mail.created_at)', 'oldest')
    .where(
      "mail.status IN ('pending', 'sending', 'dead') OR (mail.status IN ('sent', 'unconfirmed') AND mail.sent_at > :hourAgo)",
      { hourAgo: now - HOUR_MS },
    )
    .groupBy('mail.kind')
    .addGroupBy('mail.status')
    .getRawMany();
  const requests = await manager
    .createQueryBuilder(ResetRequest, 'request')
    .select('COUNT(*)', 'count')
    .addSelect('MIN(request.requested_at)', 'oldest')
    .getRawOne<{ count: string | number; oldest: string | number | null }>();
  const kinds = KINDS.map((kind) => {
    const of = (status: OutboxMailStatus) =>
      groups.find((group) => group.kind === kind && group.status === status);
    const count = (status: OutboxMailStatus) => Number(of(status)?.count ?? 0);
    const undelivered = [of('pending')?.oldest, of('sending')?.oldest]
      .filter((oldest) => oldest !== undefined && oldest !== null)
      .map(Number);
    return {
      kind,
      pending: count('pending'),
      sending: count('sending'),
      sentLastHour: count('sent'),
      unconfirmedLastHour: count('unconfirmed'),
      dead: count('dead'),
      oldestPendingAgeSeconds:
        undelivered.length > 0
          ? ageSeconds(now, Math.min(...undelivered))
          : null,
    };
  });
  return {
    requestsWaiting: Number(requests?.count ?? 0),
    oldestRequestAgeSeconds: ageSeconds(now, requests?.oldest),
    kinds,
  };
}

/**
 * Why a dead reset mail is not sent after all: a newer reset mail was queued
 * for its user (`superseded`), a notice that the password changed was queued
 * after it (`password-changed`), or its account has had as many reset mails as
 * the per-account limit allows (`account-limit`).
 */
export type RetrySkipReason =
  'superseded' | 'password-changed' | 'account-limit';

/** What `PasswordResetMailQueue.retryDead` did: how many mails it queued again, and which it left dead, and why. */
export interface DeadMailRetry {
  retried: number;
  skipped: { id: number; kind: OutboxMailKind; reason: RetrySkipReason }[];
}

/**
 * Makes dead mail (one, or all) due again with a full set of attempts, each in
 * a transaction of its own. A reset mail goes through the rules of a fresh
 * request (see ResetTokenService): it is queued as of `now`, and counted so
 * against the per-account `limit`, unless one of them says no; then it stays
 * dead. A notice keeps its time, which is when the password changed.
 */
async function retryDeadMail(
  dataSource: DataSource,
  now: number,
  limit: AccountLimit,
  id?: number,
): Promise<DeadMailRetry> {
  const dead = await dataSource.manager.find(OutboxMail, {
    where: { status: 'dead', ...(id !== undefined && { id }) },
    order: { id: 'ASC' },
  });
  const result: DeadMailRetry = { retried: 0, skipped: [] };
  for (const mail of dead) {
    const outcome = await retryOne(dataSource, mail, now, limit);
    if (outcome === 'retried') result.retried += 1;
    else if (outcome !== 'no longer dead')
      result.skipped.push({ id: mail.id, kind: mail.kind, reason: outcome });
  }
  return result;
}

type RetryOutcome = 'retried' | 'no longer dead' | RetrySkipReason;

/** Commits the retry only when the rules let the mail go. */
async function retryOne(
  dataSource: DataSource,
  mail: OutboxMail,
  now: number,
  limit: AccountLimit,
): Promise<RetryOutcome> {
  const runner = dataSource.createQueryRunner();
  try {
    // READ COMMITTED, as for every claim: the rules look at what other instances committed up to now.
    await runner.startTransaction(
      locksRows(dataSource) ? 'READ COMMITTED' : undefined,
    );
    const outcome = await queueAgain(runner.manager, mail, now, limit);
    await (outcome === 'retried'
      ? runner.commitTransaction()
      : runner.rollbackTransaction());
    return outcome;
  } catch (error) {
    if (runner.isTransactionActive) await runner.rollbackTransaction();
    throw error;
  } finally {
    await runner.release();
  }
}

/**
 * Queues the mail again, then asks the rules. The write comes first (after the
 * account's lock, where rows lock) so that on SQLite this transaction is the
 * writer before it reads anything, and no write of a server slips in between.
 */
async function queueAgain(
  manager: EntityManager,
  mail: OutboxMail,
  now: number,
  limit: AccountLimit,
): Promise<RetryOutcome> {
  const isReset = mail.kind === 'reset-password';
  if (isReset) await lockAccount(manager, mail.userId);
  const { affected } = await manager.update(
    OutboxMail,
    { id: mail.id, status: 'dead' },
    {
      status: 'pending',
      attempts: 0,
      nextAttemptAt: now,
      ...(isReset && { createdAt: now }),
    },
  );
  if (affected !== 1) return 'no longer dead';
  if (!isReset) return 'retried';
  const queuedAfter = (kind: OutboxMailKind) =>
    manager.exists(OutboxMail, {
      where: { userId: mail.userId, kind, id: MoreThan(mail.id) },
    });
  if (await queuedAfter('reset-password')) return 'superseded';
  if (await queuedAfter('password-changed')) return 'password-changed';
  if (
    (await resetMailsQueuedSince(manager, mail.userId, now - limit.windowMs)) >
    limit.max
  )
    return 'account-limit';
  return 'retried';
}

/** Deletes dead mail queued before `before`; returns how many. */
async function purgeDeadMail(
  manager: EntityManager,
  before: number,
): Promise<number> {
  const { affected } = await manager.delete(OutboxMail, {
    status: 'dead',
    createdAt: LessThan(before),
  });
  return affected ?? 0;
}

/**
 * The mail queue as an operator's tools see it: what it holds, and dead mail
 * (mail that used up its attempts) sent again or deleted, on every instance
 * at once, as it all lives in the database. The module provides one: inject
 * it into an admin route or a job of the host's. A program that does not
 * mount the module (the standalone server's `npm run mail`) makes its own on
 * a DataSource that holds the module's tables.
 */
export class PasswordResetMailQueue {
  private readonly accountLimit: AccountLimit;
  private readonly clock: Clock;

  /** `accountLimit`, the per-account limit a retried reset mail counts against, and `clock` are the module's options of those names. */
  constructor(
    private readonly dataSource: DataSource,
    options: { accountLimit?: AccountLimit; clock?: Clock } = {},
  ) {
    this.accountLimit =
      options.accountLimit ?? PASSWORD_RESET_DEFAULTS.accountLimit;
    this.clock = options.clock ?? systemClock;
  }

  /** Requests waiting, and each kind of mail by state; the same on every instance. */
  status(): Promise<MailQueueStatus> {
    return mailQueueStatus(this.dataSource.manager, this.clock.now());
  }

  /**
   * Makes dead mail due again with a full set of attempts: the one with `id`,
   * or all of it. A reset mail goes only as a fresh request would: not once a
   * newer reset mail was queued for its user, nor once the password changed
   * after it was asked for, nor past the per-account limit; such a mail stays
   * dead, and the answer says why.
   */
  retryDead(id?: number): Promise<DeadMailRetry> {
    return retryDeadMail(
      this.dataSource,
      this.clock.now(),
      this.accountLimit,
      id,
    );
  }

  /**
   * Queues the mail of a link for the user with this id, as
   * `PasswordResetService.sendPasswordLink` does, for a program that does not
   * mount the module; a server's worker sends it. The caller makes sure the
   * user exists. Over the per-account limit nothing is queued and it throws
   * `PasswordResetError` `account_limit`, saying when the next may go. It
   * knows no `returnUrls`, so it refuses a `returnTo`.
   */
  sendPasswordLink(
    userId: string,
    options: PasswordLinkOptions = {},
  ): Promise<void> {
    return queuePasswordLink(
      this.dataSource,
      this.clock.now(),
      this.accountLimit,
      userId,
      linkToQueue(options, ReturnAddresses.none()),
    );
  }

  /** Deletes dead mail queued more than `olderThanMs` ago; returns how many. */
  purgeDead(olderThanMs: number): Promise<number> {
    return purgeDeadMail(
      this.dataSource.manager,
      this.clock.now() - olderThanMs,
    );
  }
}
