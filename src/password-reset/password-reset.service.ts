import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Clock } from './clock';
import { isRefusedData } from './persistence/database-errors';
import { AuditTrail } from './audit-trail';
import { invalidToken, PasswordResetError } from './password-reset.error';
import { text } from './i18n/text';
import type {
  PasswordResetUser,
  PasswordResetUserStore,
} from './interfaces/password-reset-user-store.interface';
import { MailOutboxService } from './mail/mail-outbox.service';
import {
  BREACHED_PASSWORD_REASON,
  PasswordPolicyService,
} from './password-policy/password-policy.service';
import type { ResolvedPasswordResetOptions } from './options/resolve-options';
import {
  PASSWORD_RESET_CLOCK,
  PASSWORD_RESET_RESOLVED_OPTIONS,
  PASSWORD_RESET_USER_STORE,
  PasswordResetEvents,
} from './password-reset.constants';
import {
  PasswordChangedEvent,
  type PasswordChangeChannel,
} from './password-reset.events';
import { normaliseIdentifier } from './identifier';
import { HostEvents } from './host-event-emitter';
import { PasswordResetWorker } from './mail/password-reset.worker';
import { ResetRequestInbox } from './requests/reset-request-inbox.service';
import { checkedReturnTo } from './links/return-address';
import {
  linkToQueue,
  type PasswordLinkOptions,
  queuePasswordLink,
} from './links/password-links';
import type { PasswordLinkPurpose } from './links/password-link-purpose';
import { ResetToken } from './tokens/reset-token.entity';
import {
  ResetTokenRevocation,
  type RevokeTokensOptions,
} from './tokens/reset-token-revocation';
import {
  FoundResetToken,
  ResetTokenService,
} from './tokens/reset-token.service';

/** Whether a reset can go ahead, and until when. */
export interface ResetStatus {
  expiresAt: Date;
  secondFactorRequired: boolean;
  /** What the link is for: a forgotten password, or an invitation. */
  purpose: PasswordLinkPurpose;
}

/** What a reset answers: what the link was for, and where to lead the user back to, if anywhere. */
export interface ResetOutcome {
  purpose: PasswordLinkPurpose;
  returnTo?: string;
}

interface Usable {
  token: FoundResetToken;
  user: PasswordResetUser;
}

/**
 * The flow, for a host's own code as for the module's routes: record a
 * request, tell whether a link (or the code of its mail) is usable, reset a
 * password through either, and revoke a user's links when the password changes another way. A
 * refusal is a `PasswordResetError`, whose `code` the caller answers as it
 * likes; the module's routes give each code its HTTP status.
 */
@Injectable()
export class PasswordResetService implements OnApplicationBootstrap {
  private readonly logger = new Logger('PasswordReset');

  constructor(
    private readonly inbox: ResetRequestInbox,
    private readonly worker: PasswordResetWorker,
    private readonly tokens: ResetTokenService,
    private readonly revocation: ResetTokenRevocation,
    private readonly outbox: MailOutboxService,
    private readonly policy: PasswordPolicyService,
    private readonly dataSource: DataSource,
    private readonly events: HostEvents,
    private readonly audit: AuditTrail,
    @Inject(PASSWORD_RESET_USER_STORE)
    private readonly users: PasswordResetUserStore,
    @Inject(PASSWORD_RESET_CLOCK) private readonly clock: Clock,
    @Inject(PASSWORD_RESET_RESOLVED_OPTIONS)
    private readonly options: Pick<
      ResolvedPasswordResetOptions,
      'events' | 'returnAddresses' | 'accountLimit'
    >,
  ) {}

  /**
   * A reset that leaves the user's other sessions alive leaves whoever took
   * the account in it. Not awaited: the host's listeners are subscribed during
   * the same bootstrap, maybe after this hook.
   */
  onApplicationBootstrap(): void {
    if (this.users.endSessions) return;
    void this.events
      .hasListeners(PasswordResetEvents.passwordChanged)
      .then((listened) => {
        if (listened) return;
        this.logger.warn(
          `Nothing ends a user's sessions after a password reset: give the user store an endSessions(userId), or listen for ${PasswordResetEvents.passwordChanged} (with EventEmitterModule)`,
        );
      });
  }

  /**
   * Records that someone asked for a reset of `identifier` (already normalised)
   * and returns once that is committed. It does the same work whether or not
   * such a user exists; the worker finds out later. The worker is not woken
   * here: it takes the request on its next tick, so its extra work for a real
   * user does not land on the requests that follow this one.
   */
  async requestReset(
    identifier: string,
    options: { returnTo?: string } = {},
  ): Promise<void> {
    const returnTo = checkedReturnTo(
      this.options.returnAddresses,
      options.returnTo,
    );
    try {
      await this.inbox.record(identifier, returnTo);
    } catch (error) {
      this.logger.error(
        `Could not record a reset request: ${(error as Error).message}`,
      );
      if (isRefusedData(error))
        throw new PasswordResetError(
          'invalid_request',
          text('errors.identifier_not_stored'),
        );
      throw new PasswordResetError(
        'unavailable',
        text('errors.request_not_recorded'),
      );
    }
  }

  /**
   * Queues the mail of a link for a user, as host code (an admin panel,
   * sign-up by invitation) or an operator asks: `reset`, or `invite` with its
   * own mail, page wording and lifetime (`inviteTtl`). It follows the rules
   * of every link (single use, the newest of the user's links the only live
   * one, hashed at rest) and goes through the outbox like a requested one,
   * counted against the per-account limit. Refused as `unknown_user` when the
   * user store knows no such user, and as `account_limit` (nothing queued,
   * the message saying when the next may go) over the limit: never dropped
   * in silence.
   */
  async sendPasswordLink(
    userId: string,
    options: PasswordLinkOptions = {},
  ): Promise<void> {
    const link = linkToQueue(options, this.options.returnAddresses);
    if (!(await this.users.findById(userId)))
      throw new PasswordResetError(
        'unknown_user',
        text('errors.unknown_user', { userId }),
      );
    await queuePasswordLink(
      this.dataSource,
      this.clock.now(),
      this.options.accountLimit,
      userId,
      link,
    );
    this.audit.requested(userId, link.purpose, 'operator');
    this.worker.wake();
  }

  /** The return address as a link would carry it, if `returnUrls` allows it; else undefined. */
  allowedReturnTo(returnTo: string): string | undefined {
    return this.options.returnAddresses.check(returnTo);
  }

  /** Until when the link is usable and whether it needs a second factor, or null if it is not usable; spends nothing. */
  linkStatus(link: string): Promise<ResetStatus | null> {
    return this.statusOf(this.usableLink(link));
  }

  /**
   * As `linkStatus`, for the reset code of a mail and the username (or
   * address) it was asked for with. A right code spends nothing; a wrong one
   * counts against the reset as it would in `resetPasswordWithCode`, or
   * checking would be a free way to guess.
   */
  codeStatus(username: string, code: string): Promise<ResetStatus | null> {
    return this.statusOf(this.usableCode(username, code));
  }

  private async statusOf(
    found: Promise<Usable | null>,
  ): Promise<ResetStatus | null> {
    const usable = await found;
    if (!usable) return null;
    return {
      expiresAt: new Date(usable.token.expiresAt),
      purpose: usable.token.purpose,
      secondFactorRequired: await this.needsSecondFactor(usable.user),
    };
  }

  /**
   * Replaces the password of the link's user. The second factor (where the
   * user has one) and the policy are checked before the token is spent, so a
   * refusal leaves the link usable; of concurrent uses exactly one gets past
   * `consume`. Then every other token of the user dies, the notice is queued,
   * and the user store and the event's listeners end the user's sessions.
   * Answers with what the link was for, and the return address it carries,
   * if it has one that `returnUrls` allows.
   */
  async resetPassword(
    link: string,
    password: string,
    secondFactorCode?: string,
  ): Promise<ResetOutcome> {
    const usable = await this.usableLink(link);
    if (!usable) throw this.refusedLink();
    return this.reset(usable, 'link', password, secondFactorCode);
  }

  /**
   * As `resetPassword`, with the reset code of the mail and the username (or
   * address) instead of the link; the same reset, so it spends the link too.
   * A wrong code, one past its attempts and an unknown user are one
   * `invalid_token`, after the same work. A return address travels only in
   * the link, so the answer to a code has none.
   */
  async resetPasswordWithCode(
    username: string,
    code: string,
    password: string,
    secondFactorCode?: string,
  ): Promise<ResetOutcome> {
    const usable = await this.usableCode(username, code);
    if (!usable) throw this.refusedLink();
    return this.reset(usable, 'code', password, secondFactorCode);
  }

  private async reset(
    { token, user }: Usable,
    via: PasswordChangeChannel,
    password: string,
    secondFactorCode: string | undefined,
  ): Promise<ResetOutcome> {
    await this.checkSecondFactor(token, user, secondFactorCode);
    const newPassword = password.normalize('NFKC');
    const reasons = await this.policy.check(newPassword, user);
    if (reasons.length > 0) {
      this.audit.refused(
        reasons.some((reason) => reason.key === BREACHED_PASSWORD_REASON)
          ? 'breached_password'
          : 'weak_password',
        user.id,
      );
      throw new PasswordResetError('weak_password', reasons, reasons);
    }
    if (!(await this.tokens.consume(token))) throw this.refusedLink();
    try {
      await this.users.setPassword(user.id, newPassword);
    } catch (error) {
      await this.tokens.restore(token);
      this.logger.error(
        `Could not store a new password: ${(error as Error).message}`,
      );
      throw new PasswordResetError(
        'unavailable',
        text('errors.password_not_stored'),
      );
    }
    await this.dataSource.transaction(async (manager) => {
      await this.tokens.complete(token, manager);
      await this.tokens.revokeAllOf(user.id, manager);
      await this.outbox.enqueue(manager, 'password-changed', [
        { userId: user.id },
      ]);
    });
    this.worker.wake();
    await this.endSessions(
      new PasswordChangedEvent(
        user.id,
        new Date(this.clock.now()),
        token.purpose === 'invite' ? 'invite' : via,
      ),
    );
    const { purpose, returnTo } = token;
    return returnTo ? { purpose, returnTo } : { purpose };
  }

  /**
   * For a password changed any other way than through a link (a settings
   * page, an administrator, a command-line tool).
   *
   * Without `manager`: kills every outstanding reset link of the user and
   * waits for a reset of that user already under way. Call it before storing
   * the new password: the change then lands after that reset instead of being
   * overwritten by it.
   *
   * With the `manager` of the transaction that stores the new password: kills
   * the user's links inside that transaction, so that a link made since the
   * first call dies with the write. It waits for nothing there: a transaction
   * that waited would hold its locks against the very reset it waits for.
   *
   * ```ts
   * const passwordHash = await hash(newPassword);
   * await passwordReset.revokeTokensOf(userId);
   * await dataSource.transaction(async (manager) => {
   *   await manager.update(User, { id: userId }, { passwordHash });
   *   await passwordReset.revokeTokensOf(userId, { manager });
   * });
   * ```
   */
  revokeTokensOf(
    userId: string,
    options: RevokeTokensOptions = {},
  ): Promise<void> {
    return this.revocation.revokeTokensOf(userId, options);
  }

  /** A link is usable while its token is live and its user still exists. */
  private async usableLink(link: string): Promise<Usable | null> {
    const token = await this.tokens.find(link);
    const user = token && (await this.users.findById(token.userId));
    return token && user ? { token, user } : null;
  }

  /** The user's newest live token, if the code is its code; found as lostPassword finds the user. */
  private async usableCode(
    username: string,
    code: string,
  ): Promise<Usable | null> {
    const user = await this.users.findByIdentifier(
      normaliseIdentifier(username),
    );
    const token = await this.tokens.findByCode(user?.id ?? null, code);
    return token && user ? { token, user } : null;
  }

  private async needsSecondFactor(user: PasswordResetUser): Promise<boolean> {
    return (await this.users.secondFactor?.required(user)) === true;
  }

  /** Each code costs the link one attempt, given back when it is right; a link with none left is refused as dead. */
  private async checkSecondFactor(
    token: ResetToken,
    user: PasswordResetUser,
    code: string | undefined,
  ): Promise<void> {
    if (!(await this.needsSecondFactor(user))) return;
    if (code === undefined)
      throw this.refusedSecondFactor('second_factor_required', user.id);
    if (!(await this.tokens.takeSecondFactorAttempt(token)))
      throw this.refusedLink();
    if (!(await this.users.secondFactor!.verify(user, code)))
      throw this.refusedSecondFactor('invalid_second_factor', user.id);
    await this.tokens.giveBackSecondFactorAttempt(token);
  }

  /** The reason is also the error's text and the one reason listed, so that a browser gets the form again, saying it. */
  private refusedSecondFactor(
    code: 'second_factor_required' | 'invalid_second_factor',
    userId: string,
  ) {
    this.audit.refused(code, userId);
    const reason = text(`errors.${code}`);
    return new PasswordResetError(code, reason, [reason]);
  }

  private refusedLink() {
    this.audit.refused('invalid_token');
    return invalidToken();
  }

  /**
   * Has the user store end the user's sessions, and awaits the host's
   * listeners. By then the password is stored and the link spent, and neither
   * can be taken back: a failure of either is logged, and fails the request
   * only where the host asked for that, with a message that says the password
   * was changed all the same.
   */
  private async endSessions(event: PasswordChangedEvent): Promise<void> {
    const attempts: [string, () => Promise<unknown>][] = [
      [
        "The user store's endSessions",
        async () => this.users.endSessions?.(event.userId),
      ],
      [
        `A listener of ${PasswordResetEvents.passwordChanged}`,
        () =>
          this.events.emitAndAwait(PasswordResetEvents.passwordChanged, event),
      ],
    ];
    let failed = false;
    for (const [who, attempt] of attempts) {
      try {
        await attempt();
      } catch (error) {
        failed = true;
        this.logger.error(
          `${who} failed for user ${event.userId}; the password was changed, the user's sessions may not have ended: ${(error as Error).message}`,
        );
      }
    }
    if (failed && this.options.events.failRequestOnListenerError) {
      throw new PasswordResetError(
        'sessions_not_ended',
        text('errors.sessions_not_ended'),
      );
    }
  }
}
