import type { ThrottlerStorage } from '@nestjs/throttler';
import type { Clock } from '../clock';
import type { PasswordResetMailTransport } from '../mail/mail-transport';
import type { PasswordResetTranslation } from '../i18n/messages.en';
import type { PasswordResetTemplatesOptions } from './password-reset-templates.interface';
import type {
  PasswordResetUser,
  PasswordResetUserStore,
} from './password-reset-user-store.interface';

/** What `PasswordResetModule.forRoot` takes, or `forRootAsync`'s factory returns. */
export interface PasswordResetModuleOptions {
  /** The host's users. */
  userStore: PasswordResetUserStore;
  /** Signs the JWT in reset links; at least 32 random bytes. */
  jwtSecret: string;
  /** Base of the link in the mail, which gets `?token=…`; the request's Host header is never used. Required unless `resetLink` is given. */
  resetUrl?: string;
  /**
   * Builds the link in the mail instead of `resetUrl`, for a front end with
   * routes of its own (`https://app.example.com/#/reset/${token}`). It must
   * return an http(s) URL; the token is URL-safe as it is.
   */
  resetLink?: (token: string, user: PasswordResetUser) => string;
  mail?: {
    /**
     * A nodemailer transport or its options (an `smtp://` URL, say). Without
     * one, outside production, each mail is written as an .eml file under
     * `var/mail`; in production it is required.
     */
    transport?: PasswordResetMailTransport;
    /** Default `no-reply@localhost`. */
    from?: string;
    /** Product name used in subjects and bodies; default "your account", translated. */
    productName?: string;
  };
  /** The host's own templates for the mails and pages (a directory of same-named files, or functions); the module's stay for the rest. */
  templates?: PasswordResetTemplatesOptions;
  /**
   * Texts by language, on top of the module's (English and German): change a
   * few (subjects, say) or add a language. A text missing in a language is
   * shown in English.
   */
  messages?: Record<string, PasswordResetTranslation>;
  /** The language of mails to users without a `locale` the module has, and of pages for browsers without an `Accept-Language` it has. Default `en`. */
  defaultLanguage?: string;
  events?: {
    /**
     * A `password-changed` listener that throws, or a user store's
     * `endSessions` that does, is always logged as an error.
     * With this, the reset also answers `500` `sessions_not_ended`, whose
     * message says that the password was changed and the link spent all the
     * same (neither can be undone). Default false: `200`.
     */
    failRequestOnListenerError?: boolean;
  };
  /** Token lifetime: milliseconds, or a string such as `30m`, `2h`. Default `30m`. */
  tokenTtl?: number | string;
  /** Lifetime of an invitation (`sendPasswordLink` with `purpose: 'invite'`), as `tokenTtl`. Default `72h`. */
  inviteTtl?: number | string;
  /**
   * Where a reset may lead back to: `lostPassword` takes a `returnTo` on this
   * list, carries it signed in the link, and gives it back after the reset.
   * Each entry an origin (`https://app.example.com`) or a URL prefix
   * (`https://app.example.com/account/`). Without it, `returnTo` is refused.
   */
  returnUrls?: string[];
  /** Wrong second-factor codes one reset link allows (1 to 1000); then the link is dead. Default 5. */
  secondFactorAttempts?: number;
  /**
   * A reset code in every reset mail, beside the link, for people whose mail
   * scanner or app breaks links: they send it with their username to
   * `POST …/resetPassword`. `digits` 6 to 10; unset or 0, links only (the
   * default). After `attempts` wrong codes (1 to 1000, default 5) the reset is
   * dead, its link included.
   */
  code?: { digits?: number; attempts?: number };
  /** Silent per-account limit: at most `max` reset mails per `windowMs`. Default 3 per hour. */
  accountLimit?: AccountLimit;
  delivery?: Partial<DeliveryOptions>;
  /** Defaults: 8 to 128 characters, zxcvbn score at least 3, no breached-password service. */
  passwordPolicy?: Partial<PasswordPolicyOptions>;
  /**
   * Per-IP limits per minute (defaults 10 and 30; 0 switches one off), and where
   * the counters live (default: this process's memory; share one, such as
   * @nest-lab/throttler-storage-redis, between instances).
   */
  rateLimit?: {
    lostPasswordPerMinute?: number;
    resetPasswordPerMinute?: number;
    storage?: ThrottlerStorage;
  };
  /** Where the module reads the time; tests pass one they can move. */
  clock?: Clock;
}

/** How the worker delivers queued mail (the `delivery` option). */
export interface DeliveryOptions {
  /** How often the worker looks for work it was not woken for (other instances, restarts, retries). */
  pollIntervalMs: number;
  /** First retry delay; it doubles on every failed attempt up to `retryMaxMs`. */
  retryBaseMs: number;
  retryMaxMs: number;
  /** After this many failed attempts a mail is marked dead and logged as an error. */
  maxAttempts: number;
  /** How long one delivery attempt may take, whatever the transport's own timeouts. Default 60 s. */
  attemptTimeoutMs: number;
  /**
   * How long a worker owns a mail it claimed; longer than `attemptTimeoutMs`.
   * A worker that dies mid-send leaves the mail to another after this. Default 2 min.
   */
  leaseMs: number;
  /**
   * Mails sent at once, each over its own SMTP connection (kept open for the
   * next mail), so that one stuck connection does not hold up the others. Default 5.
   */
  concurrency: number;
}

/** At most `max` reset mails queued per account in any `windowMs`. */
export interface AccountLimit {
  max: number;
  windowMs: number;
}

/** What a new password must be (the `passwordPolicy` option). */
export interface PasswordPolicyOptions {
  /** NIST SP 800-63B: at least 8. */
  minLength: number;
  /** NIST SP 800-63B: allow at least 64; ASVS 4.0.3 2.1.2: refuse more than 128. */
  maxLength: number;
  /** zxcvbn score from 0 (guessable) to 4; 3 means "safely unguessable" (about 10^8 guesses or more). */
  minStrength: 0 | 1 | 2 | 3 | 4;
  /** Also refuse passwords a Pwned Passwords range service lists as breached; unset: no such check. */
  breached?: BreachedPasswordsOptions;
}

/** Where new passwords are looked up as breached (`passwordPolicy.breached`). */
export interface BreachedPasswordsOptions {
  /** Base of a k-anonymity range service of the Pwned Passwords shape, such as `https://api.pwnedpasswords.com`. */
  rangeUrl: string;
  /** How long to wait for its answer before letting the password through. Default 2 s. */
  timeoutMs?: number;
}
