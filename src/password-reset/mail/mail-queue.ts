import { EntityManager, LessThan } from 'typeorm';
import { ResetRequest } from '../requests/reset-request.entity';
import { OutboxMail, OutboxMailKind, OutboxMailStatus } from './outbox-mail.entity';

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

const ageSeconds = (now: number, since: string | number | null | undefined) => (since === null || since === undefined ? null : Math.max(0, Math.round((now - Number(since)) / 1000)));

/** The queue as an operator (`npm run mail -- status`) and `/metrics` see it; the same on every instance. */
export async function mailQueueStatus(manager: EntityManager, now: number): Promise<MailQueueStatus> {
  const groups: Group[] = await manager
    .createQueryBuilder(OutboxMail, 'mail')
    .select('mail.kind', 'kind')
    .addSelect('mail.status', 'status')
    .addSelect('COUNT(*)', 'count')
    .addSelect('MIN(mail.created_at)', 'oldest')
    .where("mail.status IN ('pending', 'sending', 'dead') OR (mail.status IN ('sent', 'unconfirmed') AND mail.sent_at > :hourAgo)", { hourAgo: now - HOUR_MS })
    .groupBy('mail.kind')
    .addGroupBy('mail.status')
    .getRawMany();
  const requests = await manager.createQueryBuilder(ResetRequest, 'request').select('COUNT(*)', 'count').addSelect('MIN(request.requested_at)', 'oldest').getRawOne<{ count: string | number; oldest: string | number | null }>();
  const kinds = KINDS.map((kind) => {
    const of = (status: OutboxMailStatus) => groups.find((group) => group.kind === kind && group.status === status);
    const count = (status: OutboxMailStatus) => Number(of(status)?.count ?? 0);
    const undelivered = [of('pending')?.oldest, of('sending')?.oldest].filter((oldest) => oldest !== undefined && oldest !== null).map(Number);
    return {
      kind,
      pending: count('pending'),
      sending: count('sending'),
      sentLastHour: count('sent'),
      unconfirmedLastHour: count('unconfirmed'),
      dead: count('dead'),
      oldestPendingAgeSeconds: undelivered.length > 0 ? ageSeconds(now, Math.min(...undelivered)) : null,
    };
  });
  return { requestsWaiting: Number(requests?.count ?? 0), oldestRequestAgeSeconds: ageSeconds(now, requests?.oldest), kinds };
}

/** Makes dead mail (one, or all) due again with a full set of attempts; returns how many. */
export async function retryDeadMail(manager: EntityManager, now: number, id?: number): Promise<number> {
  const { affected } = await manager.update(OutboxMail, { status: 'dead', ...(id !== undefined && { id }) }, { status: 'pending', attempts: 0, nextAttemptAt: now });
  return affected ?? 0;
}

/** Deletes dead mail queued before `before`; returns how many. */
export async function purgeDeadMail(manager: EntityManager, before: number): Promise<number> {
  const { affected } = await manager.delete(OutboxMail, { status: 'dead', createdAt: LessThan(before) });
  return affected ?? 0;
}
