import { EntityManager, In, MoreThan } from 'typeorm';
import { locksRows } from '../persistence/row-locks';
import { OutboxMail } from '../mail/outbox-mail.entity';
import { AccountLock } from './account-lock.entity';

/** The reset mails queued for the account after `since`, whatever became of them: what the limit counts. */
export async function resetMailsQueuedSince(
  manager: EntityManager,
  userId: string,
  since: number,
): Promise<number> {
  return (
    (await resetMailsQueuedSinceByAccount(manager, [userId], since)).get(
      userId,
    ) ?? 0
  );
}

/** What `resetMailsQueuedSince` counts, for each of these accounts in one query; an account with none is left out. */
export async function resetMailsQueuedSinceByAccount(
  manager: EntityManager,
  userIds: string[],
  since: number,
): Promise<Map<string, number>> {
  if (userIds.length === 0) return new Map();
  const rows: { userId: string; queued: string | number }[] = await manager
    .createQueryBuilder(OutboxMail, 'mail')
    .select('mail.user_id', 'userId')
    .addSelect('COUNT(*)', 'queued')
    .where({
      userId: In(userIds),
      kind: 'reset-password',
      createdAt: MoreThan(since),
    })
    .groupBy('mail.user_id')
    .getRawMany();
  return new Map(rows.map((row) => [row.userId, Number(row.queued)]));
}

/** Locks the account's row until the caller's transaction ends; see lockAccounts. */
export function lockAccount(
  manager: EntityManager,
  userId: string,
): Promise<void> {
  return lockAccounts(manager, [userId]);
}

/**
 * Locks the accounts' rows until the caller's transaction ends, making those
 * missing first, where the database locks rows; whoever counts or queues an
 * account's reset mails holds it, so that they take turns. The rows are
 * locked in the order of their ids, by every caller, so that two transactions
 * never wait on each other in a circle. The missing rows are looked for
 * without a lock and only they are inserted: on MariaDB an INSERT IGNORE that
 * meets an existing row takes a shared lock, and two shared locks that both
 * want to become exclusive deadlock. A row that appears in between (another
 * instance's first mail to that account at the same moment) is met so, and
 * the database's deadlock check ends one of the two transactions; its work
 * stays queued for the next pass.
 */
export async function lockAccounts(
  manager: EntityManager,
  userIds: string[],
): Promise<void> {
  if (!locksRows(manager.connection) || userIds.length === 0) return;
  const ids = [...new Set(userIds)].sort();
  const rows = () =>
    manager
      .createQueryBuilder(AccountLock, 'account')
      .where({ userId: In(ids) })
      .orderBy('account.user_id', 'ASC');
  const existing = new Set(
    (await rows().getMany()).map((account) => account.userId),
  );
  const missing = ids.filter((userId) => !existing.has(userId));
  if (missing.length > 0)
    await manager
      .createQueryBuilder()
      .insert()
      .into(AccountLock)
      .values(missing.map((userId) => ({ userId })))
      .orIgnore()
      .execute();
  await rows().setLock('pessimistic_write').getMany();
}
