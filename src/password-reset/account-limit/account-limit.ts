import { EntityManager, MoreThan } from 'typeorm';
import { locksRows } from '../persistence/row-locks';
import { OutboxMail } from '../mail/outbox-mail.entity';
import { AccountLock } from './account-lock.entity';

/** The reset mails queued for the account after `since`, whatever became of them: what the limit counts. */
export function resetMailsQueuedSince(
  manager: EntityManager,
  userId: string,
  since: number,
): Promise<number> {
  return manager.countBy(OutboxMail, {
    userId,
    kind: 'reset-password',
    createdAt: MoreThan(since),
  });
}

/**
 * Locks the account's row until the caller's transaction ends, making the row
 * first if need be, where the database locks rows; whoever counts or queues an
 * account's reset mails holds it, so that they take turns. The locking read
 * comes first because on MariaDB an INSERT IGNORE that meets an existing row
 * takes a shared lock, and two shared locks that both want to become exclusive
 * deadlock.
 */
export async function lockAccount(
  manager: EntityManager,
  userId: string,
): Promise<void> {
  if (!locksRows(manager.connection)) return;
  const lockRow = () =>
    manager
      .createQueryBuilder(AccountLock, 'account')
      .setLock('pessimistic_write')
      .where('account.user_id = :userId', { userId })
      .getOne();
  if (await lockRow()) return;
  await manager
    .createQueryBuilder()
    .insert()
    .into(AccountLock)
    .values({ userId })
    .orIgnore()
    .execute();
  await lockRow();
}
