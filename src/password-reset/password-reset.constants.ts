/** Injection token of the host's user store (see PasswordResetUserStore). */
export const PASSWORD_RESET_USER_STORE = Symbol('PASSWORD_RESET_USER_STORE');

/** Injection token of the clock; tests replace it to move time without sleeping. */
export const PASSWORD_RESET_CLOCK = Symbol('PASSWORD_RESET_CLOCK');

/** Injection token of the JwtService that signs reset links (kept apart from a host's own JwtService). */
export const PASSWORD_RESET_JWT = Symbol('PASSWORD_RESET_JWT');

/** Injection token of the ThrottlerStorage that counts per-IP requests. */
export const PASSWORD_RESET_THROTTLER_STORAGE = Symbol('PASSWORD_RESET_THROTTLER_STORAGE');

/** Events emitted through @nestjs/event-emitter. */
export const PasswordResetEvents = {
  /** A password was replaced through a reset link: end the user's sessions. */
  passwordChanged: 'password-reset.password-changed',
} as const;

/** The longest identifier accepted, after normalisation (RFC 5321's limit for an address). */
export const MAX_IDENTIFIER_LENGTH = 254;
