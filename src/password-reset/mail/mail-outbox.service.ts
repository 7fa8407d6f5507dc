import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { createHmac } from 'node:crypto';
import {
  DataSource,
  EntityManager,
  In,
  LessThan,
  MoreThan,
  Repository,
} from 'typeorm';
import { AccountLimitService } from '../account-limit/account-limit.service';
import { AuditTrail } from '../audit-trail';
import type { Clock } from '../clock';
import { PasswordResetMetrics } from '../metrics/password-reset-metrics';
import { claimTransaction, skippingLocked } from '../persistence/row-locks';
import type { DeliveryOptions } from '../interfaces/password-reset-module-options.interface';
import type { ResolvedPasswordResetOptions } from '../options/resolve-options';
import type {
  PasswordResetUser,
  PasswordResetUserStore,
} from '../interfaces/password-reset-user-store.interface';
import {
  PASSWORD_RESET_CLOCK,
  PASSWORD_RESET_RESOLVED_OPTIONS,
  PASSWORD_RESET_USER_STORE,
} from '../password-reset.constants';
import {
  IssuedResetToken,
  ResetTokenService,
} from '../tokens/reset-token.service';
import { PasswordResetTranslator } from '../i18n/password-reset-translator';
import { mayHaveBeenDelivered, withDeadline } from './delivery-outcome';
import {
  PasswordResetMail,
  PasswordResetMailer,
} from './password-reset-mailer';
import {
  OutboxMail,
  OutboxMailKind,
  OutboxMailStatus,
  PRIORITY_OF,
} from './outbox-mail.entity';

/**
 * How long a link has left, as its mail says it: in seconds under two minutes,
 * else in whole minutes rounded down, so never longer than true and never 0.
 */
function expiresIn(secondsLeft: number): {
  count: number;
  unit: 'seconds' | 'minutes';
} {
  return secondsLeft < 120
    ? { count: secondsLeft, unit: 'seconds' }
    : { count: Math.floor(secondsLeft / 60), unit: 'minutes' };
}

/** Due mails looked at per place free: some are a user's next link, which waits for the one being sent. */
const CANDIDATES_PER_PLACE = 4;

/**
 * Notices before reset mails (`PRIORITY_OF`), then the earliest due; among
 * mails due at once, the first queued. So a burst of reset mails does not hold
 * up a notice, and reset mails go out first in, first out.
 */
function inSendingOrder(a: OutboxMail, b: OutboxMail): number {
  return (
    a.priority - b.priority || a.nextAttemptAt - b.nextAttemptAt || a.id - b.id
  );
}

/** A claimed mail and the end of its lease, which the worker must still hold to record the outcome. */
type ClaimedMail = OutboxMail & { status: 'sending' };

/**
 * The durable outbox. A mail is committed here before anyone is told it will
 * arrive; delivery happens later, retries back off exponentially, and a mail
 * that keeps failing ends `dead` with its last error, logged, never silently.
 * A reset mail gets its token only when it is sent, so no raw token ever waits
 * in the database. An attempt that certainly delivered nothing revokes the
 * token it made and is retried with a new one; one that may have delivered
 * its link ends `unconfirmed` instead, so that no user gets link after link.
 *
 * Workers of several instances claim due mails in batches, skipping rows
 * another holds, and own each for a lease (`sending` until `next_attempt_at`).
 * A worker that dies mid-send leaves the mail to another once the lease ends:
 * the one case where a mail can go out twice, with the same Message-ID.
 */
@Injectable()
export class MailOutboxService {
  private readonly logger = new Logger('PasswordResetMail');
  private readonly delivery: DeliveryOptions;
  private readonly deliveries = new Set<Promise<void>>();
  private deliveryEnded: () => void = () => undefined;

  constructor(
    @InjectRepository(OutboxMail)
    private readonly outbox: Repository<OutboxMail>,
    private readonly dataSource: DataSource,
    @Inject(PASSWORD_RESET_RESOLVED_OPTIONS)
    private readonly options: ResolvedPasswordResetOptions,
    @Inject(PASSWORD_RESET_USER_STORE)
    private readonly users: PasswordResetUserStore,
    @Inject(PASSWORD_RESET_CLOCK) private readonly clock: Clock,
    private readonly mailer: PasswordResetMailer,
    private readonly tokens: ResetTokenService,
    private readonly translator: PasswordResetTranslator,
    private readonly metrics: PasswordResetMetrics,
    private readonly accounts: AccountLimitService,
    private readonly audit: AuditTrail,
  ) {
    this.delivery = options.delivery;
  }

  /** Queues one mail of this kind per entry of `userIds`, within the caller's transaction. */
  async enqueue(
    manager: EntityManager,
    kind: OutboxMailKind,
    userIds: string[],
  ): Promise<void> {
    if (userIds.length === 0) return;
    const now = this.clock.now();
    const mail = {
      kind,
      priority: PRIORITY_OF[kind],
      createdAt: now,
      status: 'pending' as const,
      attempts: 0,
      nextAttemptAt: now,
      sentAt: null,
      lastError: null,
    };
    await manager.insert(
      OutboxMail,
      userIds.map((userId) => ({ ...mail, userId })),
    );
  }

  /** Forgets delivered (or probably delivered) mails queued before `before`; dead ones stay for an operator to see. */
  async prune(before: number): Promise<void> {
    await this.outbox.delete({
      status: In(['sent', 'unconfirmed']),
      createdAt: LessThan(before),
    });
  }

  /**
   * Starts delivering the mails that are due, as many as there is room for
   * beside those still under way, and returns how many it started. It does not
   * wait for them: a delivery that hangs holds one place, not the worker.
   */
  async deliverDue(): Promise<number> {
    const room = this.delivery.concurrency - this.deliveries.size;
    if (room <= 0) return 0;
    const claimed = await this.claim(room);
    for (const mail of claimed) this.track(this.deliver(mail));
    return claimed.length;
  }

  /**
   * Up to `limit` due mails, pending or with a lapsed lease, in sending order
   * (see `inSendingOrder`), locked while they are marked `sending` for this
   * worker's lease, skipping those another worker is claiming at the same moment.
   */
  private claim(limit: number): Promise<ClaimedMail[]> {
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
        nextAttemptAt: now + this.delivery.leaseMs,
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

  /** Calls `listener` whenever a delivery ends, so that the worker can start the next. */
  onDeliveryEnded(listener: () => void): void {
    this.deliveryEnded = listener;
  }

  /** Resolves once every delivery under way has ended. */
  async deliveriesEnded(): Promise<void> {
    await Promise.allSettled([...this.deliveries]);
  }

  private track(delivery: Promise<void>): void {
    this.deliveries.add(delivery);
    delivery
      // A failure here (the database, while recording the outcome) leaves the claim to expire and the mail to be tried again.
      .catch((error: Error) =>
        this.logger.error(`Delivery failed: ${error.message}`),
      )
      .finally(() => {
        this.deliveries.delete(delivery);
        this.deliveryEnded();
      });
  }

  private async deliver(claimed: ClaimedMail): Promise<void> {
    const user = await this.users.findById(claimed.userId);
    if (!user) return this.bury(claimed, 'the user no longer exists');
    const mail = await this.renewLease(claimed);
    if (!mail)
      return this.logger.warn(
        `Mail ${claimed.id} (${claimed.kind}): the lease lapsed before the attempt; another worker has it`,
      );
    if (
      mail.kind === 'reset-password' &&
      (await this.passwordChangedSince(mail))
    )
      return this.drop(mail, 'the password changed after it was asked for');
    let token: IssuedResetToken | undefined;
    try {
      if (mail.kind === 'reset-password')
        token = await this.tokens.issue(user.id);
      const message = {
        to: user.email,
        messageId: this.messageIdOf(mail),
        ...this.compose(mail, user, token),
      };
      await withDeadline(
        this.mailer.send(message),
        this.delivery.attemptTimeoutMs,
      );
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (token && mayHaveBeenDelivered(error))
        return this.markUnconfirmed(mail, message);
      if (token) await this.tokens.revoke(token.tokenId);
      return this.retryLater(mail, message);
    }
    const sentAt = this.clock.now();
    this.metrics.mailAttempted(mail.kind, 'sent', mail.createdAt, sentAt);
    await this.record(mail, {
      status: 'sent',
      sentAt,
      attempts: mail.attempts + 1,
    });
  }

  /** Whether a reset succeeded after this mail was queued: its notice was queued after it. */
  private passwordChangedSince(mail: OutboxMail): Promise<boolean> {
    return this.outbox.exists({
      where: {
        userId: mail.userId,
        kind: 'password-changed',
        id: MoreThan(mail.id),
      },
    });
  }

  /** Forgets a mail that must not be sent, if the lease is still this worker's; it then counts against no limit either. */
  private async drop(mail: ClaimedMail, reason: string): Promise<void> {
    const { affected } = await this.outbox.delete({
      id: mail.id,
      status: 'sending',
      nextAttemptAt: mail.nextAttemptAt,
    });
    if (affected === 1)
      this.logger.log(
        `Mail ${mail.id} (${mail.kind}) dropped unsent: ${reason}`,
      );
  }

  /**
   * Starts the lease again just before the link is made: however long the
   * user lookup took, the link is made and the attempt (bounded well inside a
   * lease) ends before another worker may take the mail, so two attempts with
   * two links never overlap. Undefined if the lease already lapsed.
   */
  private async renewLease(
    mail: ClaimedMail,
  ): Promise<ClaimedMail | undefined> {
    const nextAttemptAt = this.clock.now() + this.delivery.leaseMs;
    const { affected } = await this.outbox.update(
      { id: mail.id, status: 'sending', nextAttemptAt: mail.nextAttemptAt },
      { nextAttemptAt },
    );
    return affected === 1 ? { ...mail, nextAttemptAt } : undefined;
  }

  /**
   * One Message-ID per queued mail, the same on every attempt and instance, so
   * that a mail sent twice (a worker died between sending and recording) is
   * recognisably one. Keyed with the signing secret: it does not reveal how
   * many mails the service sends.
   */
  private messageIdOf(mail: OutboxMail): string {
    const id = createHmac('sha256', this.options.jwtSecret)
      .update(`outbox-mail:${mail.id}`)
      .digest('base64url');
    const domain = /@([^@>\s]+)>?$/.exec(this.mailer.from)?.[1] ?? 'localhost';
    return `<${id}@${domain}>`;
  }

  /**
   * Records the outcome, if the lease is still this worker's. One that lapsed
   * mid-send (the attempt outlived it: it cannot, by the deadline, unless the
   * database was slower still) is another worker's now, and its record wins.
   */
  private async record(
    mail: ClaimedMail,
    outcome: Partial<OutboxMail>,
  ): Promise<void> {
    const { affected } = await this.outbox.update(
      { id: mail.id, status: 'sending', nextAttemptAt: mail.nextAttemptAt },
      outcome,
    );
    if (affected !== 1)
      return this.logger.warn(
        `Mail ${mail.id} (${mail.kind}): the lease lapsed during the attempt; another worker has it`,
      );
    this.audit.mailRecorded(mail, outcome);
  }

  /**
   * The reset mail when there is a token to send, else the notice that the
   * password changed, which says when: the notice was queued with the change,
   * however late it goes out. In the user's language (`locale`), else the default.
   */
  private compose(
    mail: OutboxMail,
    user: PasswordResetUser,
    token?: IssuedResetToken,
  ): Omit<PasswordResetMail, 'to' | 'messageId'> {
    const language = this.translator.fromLocale(user.locale);
    const t = this.translator.in(language);
    const productName =
      this.options.mail.productName ?? t('mail.defaultProductName');
    const name = user.username ?? user.email;
    if (!token) {
      const changedAt = new Intl.DateTimeFormat(language, {
        dateStyle: 'long',
        timeStyle: 'short',
        timeZone: 'UTC',
      }).format(mail.createdAt);
      const context = { name, productName, changedAt };
      return {
        subject: t('mail.passwordChanged.subject', { productName }),
        template: 'password-changed',
        language,
        context,
      };
    }
    // To the nearest second, as the token was issued just before: a 30-minute link says 30 minutes, not 29.
    const secondsLeft = Math.max(
      1,
      Math.round((token.expiresAt - this.clock.now()) / 1000),
    );
    // `minutes` is for hosts' templates that count in minutes alone.
    const context = {
      name,
      productName,
      resetUrl: this.options.resetLink(token.link, user),
      expiresIn: expiresIn(secondsLeft),
      minutes: Math.floor(secondsLeft / 60),
    };
    return {
      subject: t('mail.resetPassword.subject', { productName }),
      template: 'reset-password',
      language,
      context,
    };
  }

  private async retryLater(mail: ClaimedMail, error: string): Promise<void> {
    const attempts = mail.attempts + 1;
    this.metrics.mailAttempted(
      mail.kind,
      'failed',
      mail.createdAt,
      this.clock.now(),
    );
    if (attempts >= this.delivery.maxAttempts)
      return this.bury({ ...mail, attempts }, error);
    const delay = Math.min(
      this.delivery.retryBaseMs * 2 ** (attempts - 1),
      this.delivery.retryMaxMs,
    );
    this.logger.warn(
      `Mail ${mail.id} (${mail.kind}) failed, attempt ${attempts}; retrying in ${delay} ms: ${error}`,
    );
    await this.record(mail, {
      status: 'pending',
      attempts,
      nextAttemptAt: this.clock.now() + delay,
      lastError: error.slice(0, 500),
    });
  }

  private async markUnconfirmed(
    mail: ClaimedMail,
    error: string,
  ): Promise<void> {
    this.logger.warn(
      `Mail ${mail.id} (${mail.kind}) may have been delivered, not sending another link: ${error}`,
    );
    this.metrics.mailAttempted(
      mail.kind,
      'unconfirmed',
      mail.createdAt,
      this.clock.now(),
    );
    await this.record(mail, {
      status: 'unconfirmed',
      sentAt: this.clock.now(),
      attempts: mail.attempts + 1,
      lastError: error.slice(0, 500),
    });
  }

  private async bury(mail: ClaimedMail, error: string): Promise<void> {
    this.logger.error(
      `Mail ${mail.id} (${mail.kind}) is dead after ${mail.attempts} attempts: ${error}`,
    );
    this.metrics.mailAttempted(
      mail.kind,
      'dead',
      mail.createdAt,
      this.clock.now(),
    );
    await this.record(mail, {
      status: 'dead',
      attempts: mail.attempts,
      lastError: error.slice(0, 500),
    });
  }
}
