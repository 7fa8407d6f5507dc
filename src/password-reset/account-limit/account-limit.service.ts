import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager, In, MoreThan } from 'typeorm';
import type { Clock } from '../clock';
import { locksRows } from '../database/row-locks';
import type { PasswordResetModuleOptions } from '../interfaces/password-reset-module-options.interface';
import { OutboxMail } from '../mail/outbox-mail.entity';
import { PASSWORD_RESET_CLOCK } from '../password-reset.constants';
import { PASSWORD_RESET_OPTIONS } from '../password-reset.module-definition';
import { AccountLock } from './account-lock.entity';

export const DEFAULT_ACCOUNT_LIMIT = { max: 3, windowMs: 60 * 60 * 1000 };

/**
 * The silent per-account limit: at most `max` reset mails queued per account
 * in any `windowMs`. Counting and queueing happen under a lock on the account's
 * row, held until the caller's transaction ends, so that instances asked for
 * one account at once take turns and the second counts the first one's mail.
 */
@Injectable()
export class AccountLimitService {
  readonly limit: { max: number; windowMs: number };

  constructor(
    private readonly dataSource: DataSource,
    @Inject(PASSWORD_RESET_CLOCK) private readonly clock: Clock,
    @Inject(PASSWORD_RESET_OPTIONS) options: PasswordResetModuleOptions,
  ) {
    this.limit = options.accountLimit ?? DEFAULT_ACCOUNT_LIMIT;
  }

  /**
   * How many of `wanted` reset mails the account may still be sent, counted
   * within the caller's transaction. Lock accounts in one order (callers sort
   * them), so that two batches never wait on each other in a circle.
   */
  async allowance(manager: EntityManager, userId: string, wanted: number): Promise<number> {
    if (locksRows(this.dataSource)) await this.lock(manager, userId);
    const since = this.clock.now() - this.limit.windowMs;
    const queued = await manager.countBy(OutboxMail, { userId, kind: 'reset-password', createdAt: MoreThan(since) });
    return Math.max(0, Math.min(wanted, this.limit.max - queued));
  }

  /**
   * Locks the rows of those accounts that no other transaction holds, and
   * returns the accounts another does hold (one queueing their mails, or
   * claiming their mail in another instance), without waiting for any.
   */
  async lockUnlessHeld(manager: EntityManager, userIds: string[]): Promise<Set<string>> {
    if (!locksRows(this.dataSource) || userIds.length === 0) return new Set();
    const rows = () => manager.createQueryBuilder(AccountLock, 'account').where({ userId: In(userIds) });
    const existing = await rows().getMany();
    const locked = new Set((await rows().setLock('pessimistic_write').setOnLocked('skip_locked').getMany()).map((account) => account.userId));
    return new Set(existing.map((account) => account.userId).filter((userId) => !locked.has(userId)));
  }

  /**
   * Locks the account's row, making it first if need be. The locking read
   * comes first because on MariaDB an INSERT IGNORE that meets an existing row
   * takes a shared lock, and two shared locks that both want to become
   * exclusive deadlock.
   */
  private async lock(manager: EntityManager, userId: string): Promise<void> {
    const lockRow = () => manager.createQueryBuilder(AccountLock, 'account').setLock('pessimistic_write').where('account.user_id = :userId', { userId }).getOne();
    if (await lockRow()) return;
    await manager.createQueryBuilder().insert().into(AccountLock).values({ userId }).orIgnore().execute();
    await lockRow();
  }
}
