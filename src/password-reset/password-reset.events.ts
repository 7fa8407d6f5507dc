import type { PasswordLinkPurpose } from './links/password-link-purpose';
import type { OutboxMailKind } from './mail/outbox-mail.entity';

/**
 * The events carry ids, times and reason codes, never a token, a code, a
 * password or a hash, so that an audit log or a SIEM may keep them whole.
 */

/** How a password was reset: a reset link, an invitation, or the code in a reset mail. */
export type PasswordChangeChannel = 'link' | 'code' | 'invite';

/** Payload of `PasswordResetEvents.passwordChanged`. */
export class PasswordChangedEvent {
  constructor(
    readonly userId: string,
    readonly changedAt: Date,
    readonly via: PasswordChangeChannel,
  ) {}
}

/**
 * Payload of `PasswordResetEvents.requested`: a link's mail for a known user
 * was queued (within the per-account limit), asked for by a request
 * (`lostPassword`) or by host code or an operator (`sendPasswordLink`), for a
 * reset or an invitation.
 */
export class PasswordResetRequestedEvent {
  constructor(
    readonly userId: string,
    readonly requestedAt: Date,
    readonly purpose: PasswordLinkPurpose = 'reset',
    readonly requestedBy: 'user' | 'operator' = 'user',
  ) {}
}

/** Payload of `PasswordResetEvents.mailSent`: the mail server accepted a mail. */
export class PasswordResetMailSentEvent {
  constructor(
    readonly mailId: number,
    readonly userId: string,
    readonly kind: OutboxMailKind,
    readonly attempts: number,
    readonly sentAt: Date,
  ) {}
}

/**
 * Payload of `PasswordResetEvents.mailFailed`: `dead` (given up after the last
 * attempt, or the user is gone) or `unconfirmed` (an attempt that may have
 * delivered the mail; it is not sent again).
 */
export class PasswordResetMailFailedEvent {
  constructor(
    readonly mailId: number,
    readonly userId: string,
    readonly kind: OutboxMailKind,
    readonly outcome: 'dead' | 'unconfirmed',
    readonly attempts: number,
    readonly failedAt: Date,
  ) {}
}

/** Why a reset was refused, as `PasswordResetRefusedEvent.reason` says. */
export type PasswordResetRefusal =
  | 'invalid_token'
  | 'second_factor_required'
  | 'invalid_second_factor'
  | 'weak_password'
  | 'breached_password';

/**
 * Payload of `PasswordResetEvents.refused`: a reset was refused. `userId` only
 * where the link was usable (a second factor missing or wrong, a weak or
 * breached password); an invalid link names nobody.
 */
export class PasswordResetRefusedEvent {
  constructor(
    readonly reason: PasswordResetRefusal,
    readonly refusedAt: Date,
    readonly userId?: string,
  ) {}
}
