/** Injection token of the host's user store (see PasswordResetUserStore). */
export const PASSWORD_RESET_USER_STORE = Symbol('PASSWORD_RESET_USER_STORE');

/** Injection token of the clock; tests replace it to move time without sleeping. */
export const PASSWORD_RESET_CLOCK = Symbol('PASSWORD_RESET_CLOCK');

/** Injection token of the JwtService that signs reset links (kept apart from a host's own JwtService). */
export const PASSWORD_RESET_JWT = Symbol('PASSWORD_RESET_JWT');

/** Injection token of the ThrottlerStorage that counts per-IP requests. */
export const PASSWORD_RESET_THROTTLER_STORAGE = Symbol(
  'PASSWORD_RESET_THROTTLER_STORAGE',
);

/** Events emitted through @nestjs/event-emitter; payloads in password-reset.events.ts. */
export const PasswordResetEvents = {
  /** A password was replaced through a reset link: end the user's sessions. Awaited before the answer. */
  passwordChanged: 'password-reset.password-changed',
  // The audit trail: emitted off the request path and never awaited, so that it changes no answer.
  /** A reset mail for a known user was queued, within the per-account limit. */
  requested: 'password-reset.requested',
  /** The mail server accepted a mail. */
  mailSent: 'password-reset.mail-sent',
  /** A mail was given up (dead), or may have been delivered without confirmation (unconfirmed). */
  mailFailed: 'password-reset.mail-failed',
  /** A reset was refused: an invalid or expired link, a weak or breached password. */
  refused: 'password-reset.refused',
} as const;

/** The longest identifier accepted, after normalisation (RFC 5321's limit for an address). */
export const MAX_IDENTIFIER_LENGTH = 254;

/** Injection token of the module's options with their defaults filled in and checked (see resolveOptions). */
export const PASSWORD_RESET_RESOLVED_OPTIONS = Symbol(
  'PASSWORD_RESET_RESOLVED_OPTIONS',
);
