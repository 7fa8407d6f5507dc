import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager, In } from 'typeorm';
import type { Clock } from '../clock';
import { locksRows } from '../persistence/row-locks';
import type { AccountLimit } from '../interfaces/password-reset-module-options.interface';
import type { ResolvedPasswordResetOptions } from '../options/resolve-options';
import {
  PASSWORD_RESET_CLOCK,
  PASSWORD_RESET_RESOLVED_OPTIONS,
} from '../password-reset.constants';
import { lockAccounts, resetMailsQueuedSinceByAccount } from './account-limit';
import { AccountLock } from './account-lock.entity';

/**
 * The silent per-account limit: at most `max` reset mails queued per account
 * in any `windowMs`. Counting and queueing happen under a lock on the account's
 * row, held until the caller's transaction ends, so that instances asked for
 * one account at once take turns and the second counts the first one's mail.
 */
@Injectable()
export class AccountLimitService {
  readonly limit: AccountLimit;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(PASSWORD_RESET_CLOCK) private readonly clock: Clock,
    @Inject(PASSWORD_RESET_RESOLVED_OPTIONS)
    options: Pick<ResolvedPasswordResetOptions, 'accountLimit'>,
  ) {
    this.limit = options.accountLimit;
  }

  /**
   * How many of the reset mails wanted for each account (user id to count) it
   * may still be sent, counted within the caller's transaction after all the
   * accounts are locked (see lockAccounts).
   */
  async allowances(
    manager: EntityManager,
    wanted: Map<string, number>,
  ): Promise<Map<string, number>> {
    const userIds = [...wanted.keys()];
    await lockAccounts(manager, userIds);
    const queued = await resetMailsQueuedSinceByAccount(
      manager,
      userIds,
      this.clock.now() - this.limit.windowMs,
    );
    return new Map(
      [...wanted].map(([userId, count]) => [
        userId,
        Math.max(
          0,
          Math.min(count, this.limit.max - (queued.get(userId) ?? 0)),
        ),
      ]),
    );
  }

  /**
   * Locks the rows of those accounts that no other transaction holds, and
   * returns the accounts another does hold (one queueing their mails, or
   * claiming their mail in another instance), without waiting for any.
   */
  async lockUnlessHeld(
    manager: EntityManager,
    userIds: string[],
  ): Promise<Set<string>> {
    if (!locksRows(this.dataSource) || userIds.length === 0) return new Set();
    const rows = () =>
      manager
        .createQueryBuilder(AccountLock, 'account')
        .where({ userId: In(userIds) });
    const existing = await rows().getMany();
    const locked = new Set(
      (
        await rows()
          .setLock('pessimistic_write')
          .setOnLocked('skip_locked')
          .getMany()
      ).map((account) => account.userId),
    );
    return new Set(
      existing
        .map((account) => account.userId)
        .filter((userId) => !locked.has(userId)),
    );
  }
}
