import { systemClock } from '../clock';
import type { Clock } from '../clock';
import type { PasswordResetTranslation } from '../i18n/messages.en';
import type {
  AccountLimit,
  DeliveryOptions,
  PasswordPolicyOptions,
} from '../interfaces/password-reset-module-options.interface';
import type { PasswordResetTemplatesOptions } from '../interfaces/password-reset-templates.interface';

const MINUTE = 60 * 1000;

/**
 * What each option of PasswordResetModuleOptions is when the host leaves it
 * out, by the option's name; `resolveOptions` fills them in. An option not
 * here has no default: it is required, or leaving it out switches something off.
 */
export const PASSWORD_RESET_DEFAULTS: {
  mail: { from: string };
  templates: PasswordResetTemplatesOptions;
  /** None beyond the module's own English and German. */
  messages: Record<string, PasswordResetTranslation>;
  defaultLanguage: string;
  events: { failRequestOnListenerError: boolean };
  tokenTtl: string;
  inviteTtl: string;
  secondFactorAttempts: number;
  /** `digits` 0: links only. */
  code: { digits: number; attempts: number };
  accountLimit: AccountLimit;
  delivery: DeliveryOptions;
  passwordPolicy: PasswordPolicyOptions;
  /** Of `passwordPolicy.breached`, when it is given. */
  breached: { timeoutMs: number };
  rateLimit: { lostPasswordPerMinute: number; resetPasswordPerMinute: number };
  clock: Clock;
} = {
  mail: { from: 'no-reply@localhost' },
  templates: {},
  messages: {},
  defaultLanguage: 'en',
  events: { failRequestOnListenerError: false },
  tokenTtl: '30m',
  inviteTtl: '72h',
  secondFactorAttempts: 5,
  code: { digits: 0, attempts: 5 },
  accountLimit: { max: 3, windowMs: 60 * MINUTE },
  delivery: {
    pollIntervalMs: 1000,
    retryBaseMs: 5000,
    retryMaxMs: 15 * MINUTE,
    maxAttempts: 12,
    attemptTimeoutMs: MINUTE,
    leaseMs: 2 * MINUTE,
    concurrency: 5,
  },
  passwordPolicy: { minLength: 8, maxLength: 128, minStrength: 3 },
  breached: { timeoutMs: 2000 },
  rateLimit: { lostPasswordPerMinute: 10, resetPasswordPerMinute: 30 },
  clock: systemClock,
};
