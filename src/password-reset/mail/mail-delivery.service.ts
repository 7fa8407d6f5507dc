import { Inject, Injectable, Logger } from '@nestjs/common';
import { AuditTrail } from '../audit-trail';
import type { Clock } from '../clock';
import type { DeliveryOptions } from '../interfaces/password-reset-module-options.interface';
import type { PasswordResetUserStore } from '../interfaces/password-reset-user-store.interface';
import { PasswordResetMetrics } from '../metrics/password-reset-metrics';
import type { ResolvedPasswordResetOptions } from '../options/resolve-options';
import {
  PASSWORD_RESET_CLOCK,
  PASSWORD_RESET_RESOLVED_OPTIONS,
  PASSWORD_RESET_USER_STORE,
} from '../password-reset.constants';
import {
  IssuedResetToken,
  ResetTokenService,
} from '../tokens/reset-token.service';
import { mayHaveBeenDelivered, withDeadline } from './delivery-outcome';
import { MailComposer } from './mail-composer';
import {
  ClaimedMail,
  inSendingOrder,
  MailOutboxService,
  MailOutcome,
} from './mail-outbox.service';
import { PasswordResetMailer } from './password-reset-mailer';

/**
 * Sends what the outbox holds. Retries back off exponentially, and a mail
 * that keeps failing ends `dead` with its last error, logged, never silently.
 * A reset mail gets its token only when it is sent, so no raw token ever waits
 * in the database. An attempt that certainly delivered nothing revokes the
 * token it made and is retried with a new one; one that may have delivered
 * its link ends `unconfirmed` instead, so that no user gets link after link.
 * A reset mail of a user whose password changed after it was asked for is
 * dropped unsent. Up to `delivery.concurrency` deliveries run at once, each
 * bounded by `delivery.attemptTimeoutMs`, well inside the lease.
 */
@Injectable()
export class MailDeliveryService {
  private readonly logger = new Logger('PasswordResetMail');
  private readonly delivery: DeliveryOptions;
  private readonly deliveries = new Set<Promise<void>>();
  /** Claimed, in sending order, and not yet started. */
  private readonly claimed: ClaimedMail[] = [];
  private deliveryEnded: () => void = () => undefined;

  constructor(
    private readonly outbox: MailOutboxService,
    private readonly composer: MailComposer,
    private readonly mailer: PasswordResetMailer,
    private readonly tokens: ResetTokenService,
    @Inject(PASSWORD_RESET_USER_STORE)
    private readonly users: PasswordResetUserStore,
    @Inject(PASSWORD_RESET_CLOCK) private readonly clock: Clock,
    private readonly metrics: PasswordResetMetrics,
    private readonly audit: AuditTrail,
    @Inject(PASSWORD_RESET_RESOLVED_OPTIONS)
    options: Pick<ResolvedPasswordResetOptions, 'delivery'>,
  ) {
    this.delivery = options.delivery;
  }

  /**
   * Starts delivering the mails that are due, as many as there is room for
   * beside those still under way, and returns how many it started. It does not
   * wait for them: a delivery that hangs holds one place, not the worker. It
   * claims up to `delivery.concurrency` mails more than it starts, and starts
   * those as places free: a claim costs a transaction whatever its size, and
   * places mostly free one at a time. A claimed mail waits at most for the
   * attempts under way, each bounded well inside its lease, and never for a
   * mail due that goes before it (a notice): that is claimed first.
   */
  async deliverDue(): Promise<number> {
    const room = this.delivery.concurrency - this.deliveries.size;
    if (room <= 0) return 0;
    if (
      this.claimed.length < room ||
      (await this.outbox.dueAhead(this.claimed[0].priority))
    ) {
      const more = await this.outbox.claim(
        Math.max(room, room + this.delivery.concurrency - this.claimed.length),
      );
      this.claimed.push(...more);
      this.claimed.sort(inSendingOrder);
    }
    const starting = this.claimed.splice(0, room);
    for (const mail of starting) this.track(this.deliver(mail));
    return starting.length;
  }

  /**
   * Gives the mails claimed and not yet started back to the queue, due now,
   * for whichever worker comes first: on shutdown, so that they do not wait
   * for their leases to end.
   */
  async releaseClaimed(): Promise<void> {
    const claimed = this.claimed.splice(0);
    const now = this.clock.now();
    for (const mail of claimed)
      await this.outbox.record(mail, { status: 'pending', nextAttemptAt: now });
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
    const renewal = await this.outbox.renewLease(claimed);
    if (renewal.outcome === 'lapsed')
      return this.logger.warn(
        `Mail ${claimed.id} (${claimed.kind}): the lease lapsed before the attempt; another worker has it`,
      );
    if (renewal.outcome === 'password changed')
      return this.drop(claimed, 'the password changed after it was asked for');
    const { mail } = renewal;
    let token: IssuedResetToken | undefined;
    try {
      if (mail.kind === 'reset-password')
        token = await this.tokens.issue(user.id, {
          returnTo: mail.returnTo,
          purpose: mail.linkPurpose,
          ttlMs: mail.linkTtlMs,
        });
      await withDeadline(
        this.mailer.send(this.composer.compose(mail, user, token)),
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

  /** A mail that must not be sent is forgotten; it then counts against no limit either. */
  private async drop(mail: ClaimedMail, reason: string): Promise<void> {
    if (await this.outbox.drop(mail))
      this.logger.log(
        `Mail ${mail.id} (${mail.kind}) dropped unsent: ${reason}`,
      );
  }

  /** The next attempt after `retryBaseMs`, doubled on every failure up to `retryMaxMs`; none after `maxAttempts`. */
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
      lastError: error,
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
      lastError: error,
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
      lastError: error,
    });
  }

  /** The outcome, in the outbox and the audit trail, unless another worker has taken the mail since. */
  private async record(mail: ClaimedMail, outcome: MailOutcome): Promise<void> {
    if (!(await this.outbox.record(mail, outcome)))
      return this.logger.warn(
        `Mail ${mail.id} (${mail.kind}): the lease lapsed during the attempt; another worker has it`,
      );
    this.audit.mailRecorded(mail, outcome);
  }
}
