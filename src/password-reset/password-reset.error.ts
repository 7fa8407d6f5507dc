import { inEnglish } from './i18n/i18n-instances';
import { text, type Text } from './i18n/text';

/** Every `code` the module refuses with; clients branch on these, never on the message. */
export const PASSWORD_RESET_ERROR_CODES = [
  /** A field missing, empty, over-long or of the wrong type, an unknown field, an identifier the database cannot store, or a `returnTo` that `returnUrls` does not allow. */
  'invalid_request',
  /** A body that cannot be read: malformed JSON or percent-encoding, a forbidden key, nesting too deep. */
  'invalid_body',
  /** A link that is bad, tampered with, expired, used or superseded, or whose user is gone: one code for all. */
  'invalid_token',
  /** The user has a second factor and no code came with the reset; the link stays usable. */
  'second_factor_required',
  /** The second-factor code is wrong; the link stays usable until it has had its attempts. */
  'invalid_second_factor',
  /** The new password fails the policy, or a breached-password service lists it; `reasons` say why, and the link stays usable. */
  'weak_password',
  /** `passwordConfirmation` differs from `password`. */
  'password_mismatch',
  /** A body over 8 kB, or with too many fields. */
  'payload_too_large',
  /** A body encoding or charset the module does not read. */
  'unsupported_media_type',
  /** Past the per-IP limit. */
  'too_many_requests',
  /** The database failed or did not answer in time, or the user store could not store the password: nothing changed, try again. */
  'unavailable',
  /** Only with `events.failRequestOnListenerError`: the password was changed and the link spent, but ending the user's sessions failed. */
  'sessions_not_ended',
  /** `sendPasswordLink`: the user store knows no user of that id. */
  'unknown_user',
  /** `sendPasswordLink`: the account has had the reset mails the per-account limit allows; the message says when the next may go. */
  'account_limit',
  /** Anything else that went wrong. */
  'internal_error',
] as const;

/** One of `PASSWORD_RESET_ERROR_CODES`. */
export type PasswordResetErrorCode =
  (typeof PASSWORD_RESET_ERROR_CODES)[number];

function told(texts: Text | Text[], translate: (text: Text) => string) {
  return [texts].flat().map(translate).join('; ');
}

/**
 * A refusal of the module's, whoever asked. Its routes answer it with the
 * HTTP status of its `code` and its texts in the reader's language; a host
 * that calls `PasswordResetService` from GraphQL, a CLI or a queue catches it
 * and decides the answer itself. `message` and `reasons` are in English.
 */
export class PasswordResetError extends Error {
  readonly name = 'PasswordResetError';
  /** What is wrong, one sentence each: with the new password (`weak_password`), or the second factor. */
  readonly reasons?: string[];

  constructor(
    readonly code: PasswordResetErrorCode,
    /** The message as texts to translate; several (one per refused field) are told as one, joined by `; `. */
    readonly messageText: Text | Text[],
    /** The reasons as texts to translate. */
    readonly reasonTexts?: Text[],
  ) {
    super(told(messageText, inEnglish));
    if (reasonTexts) this.reasons = reasonTexts.map(inEnglish);
  }

  /** The message in the language `translate` speaks. */
  messageIn(translate: (text: Text) => string): string {
    return told(this.messageText, translate);
  }
}

/** One refusal for a bad, expired, used or superseded token: which of them it was is nobody's business. */
export function invalidToken(): PasswordResetError {
  return new PasswordResetError('invalid_token', text('errors.invalid_token'));
}
