import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import {
  DataSource,
  EntityManager,
  In,
  LessThan,
  LessThanOrEqual,
  MoreThan,
  Repository,
} from 'typeorm';
import { AccountLimitService } from '../account-limit/account-limit.service';
import type { Clock } from '../clock';
import type { ResolvedPasswordResetOptions } from '../options/resolve-options';
import {
  PASSWORD_RESET_CLOCK,
  PASSWORD_RESET_RESOLVED_OPTIONS,
} from '../password-reset.constants';
import { claimTransaction, skippingLocked } from '../persistence/row-locks';
import {
  MailToQueue,
  newOutboxMails,
  OutboxMail,
  OutboxMailKind,
  OutboxMailStatus,
} from './outbox-mail.entity';

/** The length of `last_error`. */
const LAST_ERROR_LENGTH = 500;

/** Due mails looked at per place free: some are a user's next link, which waits for the one being sent. */
const CANDIDATES_PER_PLACE = 4;

/**
 * Notices before reset mails (`PRIORITY_OF`), then the earliest due; among
 * mails due at once, the first queued. So a burst of reset mails does not hold
 * up a notice, and reset mails go out first in, first out.
 */
export function inSendingOrder(a: OutboxMail, b: OutboxMail): number {
  return (
    a.priority - b.priority || a.nextAttemptAt - b.nextAttemptAt || a.id - b.id
  );
}

/** What renewing a lease came to: renewed, or why not. */
export type LeaseRenewal =
  | { outcome: 'renewed'; mail: ClaimedMail }
  | { outcome: 'lapsed' }
  | { outcome: 'password changed' };

/** A mail this worker claimed; its lease ends at `nextAttemptAt`, which the worker must still hold to record the outcome. */
export type ClaimedMail = OutboxMail & { status: 'sending' };

/** What becomes of a mail after an attempt, or instead of one. */
export type MailOutcome = Partial<
  Pick<
    OutboxMail,
    'status' | 'attempts' | 'nextAttemptAt' | 'sentAt' | 'lastError'
  >
>;

/**
 * The durable outbox, as rows. A mail is committed here, in the transaction of
 * whatever asked for it, before anyone is told it will arrive. Workers of
 * several instances claim due mails in batches, skipping rows another holds,
 * and own each for a lease (`sending` until `next_attempt_at`): whatever is
 * recorded of a mail, only the worker that still holds its lease records it.
 * A worker that dies mid-send leaves the mail to another once the lease ends.
 */
@Injectable()
export class MailOutboxService {
  private readonly leaseMs: number;

  constructor(
    @InjectRepository(OutboxMail)
    private readonly outbox: Repository<OutboxMail>,
    private readonly dataSource: DataSource,
    @Inject(PASSWORD_RESET_CLOCK) private readonly clock: Clock,
    private readonly accounts: AccountLimitService,
    @Inject(PASSWORD_RESET_RESOLVED_OPTIONS)
    options: Pick<ResolvedPasswordResetOptions, 'delivery'>,
  ) {
    this.leaseMs = options.delivery.leaseMs;
  }

  /** Queues one mail of this kind per entry of `mails`, within the caller's transaction. */
  async enqueue(
    manager: EntityManager,
    kind: OutboxMailKind,
    mails: MailToQueue[],
  ): Promise<void> {
    if (mails.length === 0) return;
    await manager.insert(
      OutboxMail,
      newOutboxMails(kind, this.clock.now(), mails),
    );
  }

  /**
   * Up to `limit` due mails, pending or with a lapsed lease, in sending order
   * (see `inSendingOrder`), locked while they are marked `sending` for this
   * worker's lease, skipping those another worker is claiming at the same moment.
   */
  claim(limit: number): Promise<ClaimedMail[]> {
    return claimTransaction(this.dataSource, async (manager) => {
      const now = this.clock.now();
      const candidates = limit * CANDIDATES_PER_PLACE;
      const due = [
        ...(await this.due(manager, 'pending', now, candidates)),
        ...(await this.due(manager, 'sending', now, candidates)),
      ];
      const mails = (
        await this.oneLinkAtATime(
          manager,
          due.sort(inSendingOrder).slice(0, candidates),
          now,
        )
      ).slice(0, limit);
      if (mails.length === 0) return [];
      const lease = {
        status: 'sending' as const,
        nextAttemptAt: now + this.leaseMs,
      };
      await manager.update(
        OutboxMail,
        { id: In(mails.map((mail) => mail.id)) },
        lease,
      );
      return mails.map((mail) => ({ ...mail, ...lease }));
    });
  }

  /**
   * Whether a mail of a higher priority than `priority` (a notice, before a
   * reset mail) is due: one that mails already claimed must not hold up.
   */
  async dueAhead(priority: number): Promise<boolean> {
    const now = this.clock.now();
    return this.outbox.exists({
      where: [
        {
          status: 'pending',
          priority: LessThan(priority),
          nextAttemptAt: LessThanOrEqual(now),
        },
        {
          status: 'sending',
          priority: LessThan(priority),
          nextAttemptAt: LessThanOrEqual(now),
        },
      ],
    });
  }

  /**
   * Starts the lease again, from now, if this worker still holds it. The
   * worker renews it just before it makes the link: however long it took to get
   * there, the attempt (bounded well inside a lease) then ends before another
   * worker may take the mail, so two attempts with two links never overlap.
   * A reset mail's lease is renewed, in the same statement, only if the
   * password has not changed since the mail was queued (see
   * `passwordChangedSince`); only when nothing was renewed is it asked which
   * of the two stopped it.
   */
  async renewLease(mail: ClaimedMail): Promise<LeaseRenewal> {
    const nextAttemptAt = this.clock.now() + this.leaseMs;
    const renewal = this.outbox
      .createQueryBuilder()
      .update()
      .set({ nextAttemptAt })
      .where(this.heldLease(mail));
    if (mail.kind === 'reset-password')
      renewal.andWhere(`NOT EXISTS (${this.noticesAfter().getQuery()})`, {
        userId: mail.userId,
        mailId: mail.id,
      });
    const { affected } = await renewal.execute();
    if (affected === 1)
      return { outcome: 'renewed', mail: { ...mail, nextAttemptAt } };
    if (
      mail.kind === 'reset-password' &&
      (await this.passwordChangedSince(mail))
    )
      return { outcome: 'password changed' };
    return { outcome: 'lapsed' };
  }

  /**
   * Records the outcome, if the lease is still this worker's, and says whether
   * it was. One that lapsed mid-send is another worker's now, and its record
   * wins. An error is cut to the length of its column.
   */
  async record(mail: ClaimedMail, outcome: MailOutcome): Promise<boolean> {
    const { lastError } = outcome;
    const { affected } = await this.outbox.update(
      this.heldLease(mail),
      lastError
        ? { ...outcome, lastError: lastError.slice(0, LAST_ERROR_LENGTH) }
        : outcome,
    );
    return affected === 1;
  }

  /** Forgets a mail that must not be sent, if the lease is still this worker's, and says whether it was. */
  async drop(mail: ClaimedMail): Promise<boolean> {
    const { affected } = await this.outbox.delete(this.heldLease(mail));
    return affected === 1;
  }

  /** Whether a reset succeeded after this mail was queued: its notice was queued after it. */
  async passwordChangedSince(mail: OutboxMail): Promise<boolean> {
    return (
      (await this.noticesAfter()
        .setParameters({ userId: mail.userId, mailId: mail.id })
        .getRawOne()) !== undefined
    );
  }

  /** The user's password-changed notices queued after the mail (`:userId`, `:mailId`). */
  private noticesAfter() {
    return this.outbox
      .createQueryBuilder('notice')
      .select('1')
      .where('notice.userId = :userId')
      .andWhere(`notice.kind = 'password-changed'`)
      .andWhere('notice.id > :mailId')
      .limit(1);
  }

  /** Forgets delivered (or probably delivered) mails queued before `before`; dead ones stay for an operator to see. */
  async prune(before: number): Promise<void> {
    await this.outbox.delete({
      status: In(['sent', 'unconfirmed']),
      createdAt: LessThan(before),
    });
  }

  private heldLease(mail: ClaimedMail) {
    return {
      id: mail.id,
      status: 'sending' as const,
      nextAttemptAt: mail.nextAttemptAt,
    };
  }

  /**
   * The first `count` due mails of one status in sending order. One status a
   * query, so that the database reads them off the (status, priority,
   * next_attempt_at, id) index in that order and stops at `count`.
   */
  private due(
    manager: EntityManager,
    status: OutboxMailStatus,
    now: number,
    count: number,
  ): Promise<OutboxMail[]> {
    return skippingLocked(
      manager
        .createQueryBuilder(OutboxMail, 'mail')
        .where('mail.status = :status AND mail.next_attempt_at <= :now', {
          status,
          now,
        })
        .orderBy('mail.priority', 'ASC')
        .addOrderBy('mail.next_attempt_at', 'ASC')
        .addOrderBy('mail.id', 'ASC')
        .limit(count),
    ).getMany();
  }

  /**
   * A user's reset mails go out one after another, never beside each other,
   * so that the one that arrives last carries the newest link, the one that
   * works. Of the due mails it keeps one reset mail a user, and none for a user
   * whose reset mail is being sent, or is being claimed by another instance
   * right now (it holds the account's row).
   */
  private async oneLinkAtATime(
    manager: EntityManager,
    due: OutboxMail[],
    now: number,
  ): Promise<OutboxMail[]> {
    const users = [
      ...new Set(
        due
          .filter((mail) => mail.kind === 'reset-password')
          .map((mail) => mail.userId),
      ),
    ];
    if (users.length === 0) return due;
    const sending = await manager.findBy(OutboxMail, {
      kind: 'reset-password',
      status: 'sending',
      nextAttemptAt: MoreThan(now),
      userId: In(users),
    });
    const busy = new Set([
      ...sending.map((mail) => mail.userId),
      ...(await this.accounts.lockUnlessHeld(manager, users)),
    ]);
    return due.filter((mail) => {
      if (mail.kind !== 'reset-password') return true;
      if (busy.has(mail.userId)) return false;
      busy.add(mail.userId);
      return true;
    });
  }
}
