import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, In, LessThan, LessThanOrEqual, MoreThan, Repository } from 'typeorm';
import type { Clock } from '../clock';
import type { DeliveryOptions, PasswordResetModuleOptions } from '../interfaces/password-reset-module-options.interface';
import type { PasswordResetUser, PasswordResetUserStore } from '../interfaces/password-reset-user-store.interface';
import { PASSWORD_RESET_CLOCK, PASSWORD_RESET_USER_STORE } from '../password-reset.constants';
import { PASSWORD_RESET_OPTIONS } from '../password-reset.module-definition';
import { IssuedResetToken, ResetTokenService } from '../tokens/reset-token.service';
import { PasswordResetTranslator } from '../i18n/password-reset-translator';
import { mayHaveBeenDelivered, withDeadline } from './delivery-outcome';
import { PasswordResetMail, PasswordResetMailer } from './password-reset-mailer';
import { OutboxMail, OutboxMailKind } from './outbox-mail.entity';

export const DEFAULT_DELIVERY: DeliveryOptions = {
  pollIntervalMs: 1000,
  retryBaseMs: 5000,
  retryMaxMs: 15 * 60 * 1000,
  maxAttempts: 12,
};

function isHttpUrl(value: unknown): boolean {
  return typeof value === 'string' && URL.canParse(value) && /^https?:$/.test(new URL(value).protocol);
}

/** How long one attempt may take, whatever the transport's own timeouts; well inside the claim. */
const ATTEMPT_DEADLINE_MS = 60 * 1000;
/** How long a worker owns a mail it is sending; a worker that dies leaves it to another after this. */
const CLAIM_MS = 2 * ATTEMPT_DEADLINE_MS;
/** Mails sent at once, so that one stuck connection does not hold up the others. */
const DELIVERY_CONCURRENCY = 5;

/**
 * The durable outbox. A mail is committed here before anyone is told it will
 * arrive; delivery happens later, retries back off exponentially, and a mail
 * that keeps failing ends `dead` with its last error, logged, never silently.
 * A reset mail gets its token only when it is sent, so no raw token ever waits
 * in the database. An attempt that certainly delivered nothing revokes the
 * token it made and is retried with a new one; one that may have delivered
 * its link ends `unconfirmed` instead, so that no user gets link after link.
 */
@Injectable()
export class MailOutboxService {
  private readonly logger = new Logger('PasswordResetMail');
  private readonly delivery: DeliveryOptions;
  private readonly deliveries = new Set<Promise<void>>();
  private deliveryEnded: () => void = () => undefined;

  constructor(
    @InjectRepository(OutboxMail) private readonly outbox: Repository<OutboxMail>,
    @Inject(PASSWORD_RESET_OPTIONS) private readonly options: PasswordResetModuleOptions,
    @Inject(PASSWORD_RESET_USER_STORE) private readonly users: PasswordResetUserStore,
    @Inject(PASSWORD_RESET_CLOCK) private readonly clock: Clock,
    private readonly mailer: PasswordResetMailer,
    private readonly tokens: ResetTokenService,
    private readonly translator: PasswordResetTranslator,
  ) {
    this.delivery = { ...DEFAULT_DELIVERY, ...options.delivery };
    if (options.resetLink === undefined && options.resetUrl === undefined) throw new Error('PasswordResetModule: resetUrl or resetLink is required');
    if (options.resetUrl !== undefined && !isHttpUrl(options.resetUrl)) throw new Error('PasswordResetModule: resetUrl must be an http(s) URL');
  }

  async enqueue(manager: EntityManager, kind: OutboxMailKind, userId: string): Promise<void> {
    const now = this.clock.now();
    await manager.insert(OutboxMail, {
      kind,
      userId,
      createdAt: now,
      status: 'pending',
      attempts: 0,
      nextAttemptAt: now,
      sentAt: null,
      lastError: null,
    });
  }

  /** Mails of this kind queued for the user since the given time, delivered or not. */
  countSince(userId: string, kind: OutboxMailKind, since: number): Promise<number> {
    return this.outbox.countBy({ userId, kind, createdAt: MoreThan(since) });
  }

  /** Forgets delivered (or probably delivered) mails queued before `before`; dead ones stay for an operator to see. */
  async prune(before: number): Promise<void> {
    await this.outbox.delete({ status: In(['sent', 'unconfirmed']), createdAt: LessThan(before) });
  }

  /**
   * Starts delivering the mails that are due, as many as there is room for
   * beside those still under way, and returns how many it started. It does not
   * wait for them: a delivery that hangs holds one place, not the worker.
   */
  async deliverDue(): Promise<number> {
    const room = DELIVERY_CONCURRENCY - this.deliveries.size;
    if (room <= 0) return 0;
    const due = await this.outbox.find({
      where: { status: 'pending', nextAttemptAt: LessThanOrEqual(this.clock.now()) },
      order: { nextAttemptAt: 'ASC' },
      take: room,
    });
    for (const mail of due) {
      if (await this.claim(mail)) this.track(this.deliver(mail));
    }
    return due.length;
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
      .catch((error: Error) => this.logger.error(`Delivery failed: ${error.message}`))
      .finally(() => {
        this.deliveries.delete(delivery);
        this.deliveryEnded();
      });
  }

  private async claim(mail: OutboxMail): Promise<boolean> {
    const result = await this.outbox.update(
      { id: mail.id, status: 'pending', nextAttemptAt: mail.nextAttemptAt },
      { nextAttemptAt: this.clock.now() + CLAIM_MS },
    );
    return result.affected === 1;
  }

  private async deliver(mail: OutboxMail): Promise<void> {
    const user = await this.users.findById(mail.userId);
    if (!user) return this.bury(mail, 'the user no longer exists');
    let token: IssuedResetToken | undefined;
    try {
      if (mail.kind === 'reset-password') token = await this.tokens.issue(user.id);
      await withDeadline(this.mailer.send({ to: user.email, ...this.compose(user, token) }), ATTEMPT_DEADLINE_MS);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (token && mayHaveBeenDelivered(error)) return this.markUnconfirmed(mail, message);
      if (token) await this.tokens.revoke(token.tokenId);
      return this.retryLater(mail, message);
    }
    await this.outbox.update({ id: mail.id }, { status: 'sent', sentAt: this.clock.now(), attempts: mail.attempts + 1 });
  }

  /**
   * The reset mail when there is a token to send, else the notice that the
   * password changed; in the user's language (`locale`), else the default.
   */
  private compose(user: PasswordResetUser, token?: IssuedResetToken): Omit<PasswordResetMail, 'to'> {
    const language = this.translator.fromLocale(user.locale);
    const t = this.translator.in(language);
    const productName = this.options.mail?.productName ?? t('mail.defaultProductName');
    const name = user.username ?? user.email;
    if (!token) {
      const changedAt = new Intl.DateTimeFormat(language, { dateStyle: 'long', timeStyle: 'short', timeZone: 'UTC' }).format(this.clock.now());
      const context = { name, productName, changedAt };
      return { subject: t('mail.passwordChanged.subject', { productName }), template: 'password-changed', language, context };
    }
    const minutes = Math.round((token.expiresAt - this.clock.now()) / 60000);
    const context = { name, productName, resetUrl: this.resetLinkOf(token.link, user), minutes };
    return { subject: t('mail.resetPassword.subject', { productName }), template: 'reset-password', language, context };
  }

  /** `resetUrl?token=…`, or the host's own link (an SPA route, say); never built from a request. */
  private resetLinkOf(token: string, user: PasswordResetUser): string {
    if (this.options.resetLink) {
      const link = this.options.resetLink(token, user);
      if (!isHttpUrl(link)) throw new Error('resetLink returned no http(s) URL');
      return link;
    }
    const resetUrl = new URL(this.options.resetUrl!);
    resetUrl.searchParams.set('token', token);
    return resetUrl.toString();
  }

  private async retryLater(mail: OutboxMail, error: string): Promise<void> {
    const attempts = mail.attempts + 1;
    if (attempts >= this.delivery.maxAttempts) return this.bury({ ...mail, attempts }, error);
    const delay = Math.min(this.delivery.retryBaseMs * 2 ** (attempts - 1), this.delivery.retryMaxMs);
    this.logger.warn(`Mail ${mail.id} (${mail.kind}) failed, attempt ${attempts}; retrying in ${delay} ms: ${error}`);
    await this.outbox.update(
      { id: mail.id },
      { attempts, nextAttemptAt: this.clock.now() + delay, lastError: error.slice(0, 500) },
    );
  }

  private async markUnconfirmed(mail: OutboxMail, error: string): Promise<void> {
    this.logger.warn(`Mail ${mail.id} (${mail.kind}) may have been delivered, not sending another link: ${error}`);
    await this.outbox.update(
      { id: mail.id },
      { status: 'unconfirmed', sentAt: this.clock.now(), attempts: mail.attempts + 1, lastError: error.slice(0, 500) },
    );
  }

  private async bury(mail: OutboxMail, error: string): Promise<void> {
    this.logger.error(`Mail ${mail.id} (${mail.kind}) is dead after ${mail.attempts} attempts: ${error}`);
    await this.outbox.update({ id: mail.id }, { status: 'dead', attempts: mail.attempts, lastError: error.slice(0, 500) });
  }
}
