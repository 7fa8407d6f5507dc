import type { ThrottlerStorage } from '@nestjs/throttler';
import type { Clock } from '../clock';
import type { PasswordPolicyOptions } from '../password-policy/password-policy.service';
import type { PasswordResetMailTransport } from '../mail/mail-transport';
import type { PasswordResetUserStore } from './password-reset-user-store.interface';

export interface PasswordResetModuleOptions {
  /** The host's users. */
  userStore: PasswordResetUserStore;
  /** Signs the JWT in reset links; at least 32 random bytes. */
  jwtSecret: string;
  /** Base of the link in the mail; the request's Host header is never used. */
  resetUrl: string;
  mail?: {
    /**
     * A nodemailer transport or its options (an `smtp://` URL, say). Without
     * one, outside production, each mail is written as an .eml file under
     * `var/mail`; in production it is required.
     */
    transport?: PasswordResetMailTransport;
    /** Default `no-reply@localhost`. */
    from?: string;
    /** Product name used in subjects and bodies. */
    productName?: string;
  };
  /** Token lifetime: milliseconds, or a string such as `30m`, `2h`. Default `30m`. */
  tokenTtl?: number | string;
  /** Silent per-account limit: at most `max` reset mails per `windowMs`. Default 3 per hour. */
  accountLimit?: { max: number; windowMs: number };
  delivery?: Partial<DeliveryOptions>;
  /** Defaults: 8 to 128 characters, zxcvbn score at least 3. */
  passwordPolicy?: Partial<PasswordPolicyOptions>;
  /**
   * Per-IP limits per minute (defaults 10 and 30; 0 switches one off), and where
   * the counters live (default: this process's memory; share one, such as
   * @nest-lab/throttler-storage-redis, between instances).
   */
  rateLimit?: { lostPasswordPerMinute?: number; resetPasswordPerMinute?: number; storage?: ThrottlerStorage };
  /** Where the module reads the time; tests pass one they can move. */
  clock?: Clock;
}

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
}
