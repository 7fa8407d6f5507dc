import { existsSync } from 'node:fs';
import type { ThrottlerStorage } from '@nestjs/throttler';
import ms, { type StringValue } from 'ms';
import type { Clock } from '../clock';
import type { PasswordResetTranslation } from '../i18n/messages.en';
import { SHIPPED_MESSAGES } from '../i18n/shipped-messages';
import type {
  AccountLimit,
  DeliveryOptions,
  PasswordPolicyOptions,
  PasswordResetModuleOptions,
} from '../interfaces/password-reset-module-options.interface';
import type { PasswordResetTemplatesOptions } from '../interfaces/password-reset-templates.interface';
import type {
  PasswordResetUser,
  PasswordResetUserStore,
} from '../interfaces/password-reset-user-store.interface';
import type { PasswordResetMailTransport } from '../mail/mail-transport';
import { RESET_CODE_DIGITS } from '../tokens/reset-code';
import { ReturnAddresses } from '../links/return-address';
import { PASSWORD_RESET_DEFAULTS as DEFAULTS } from './password-reset-defaults';

/** The module's options with every default filled in and every value checked: what its providers read. */
export interface ResolvedPasswordResetOptions {
  userStore: PasswordResetUserStore;
  /** At least 32 characters. */
  jwtSecret: string;
  /** The link a reset mail carries: `resetUrl?token=…`, or the host's `resetLink`; always an http(s) URL. */
  resetLink: (token: string, user: PasswordResetUser) => string;
  mail: {
    transport?: PasswordResetMailTransport;
    from: string;
    productName?: string;
  };
  templates: PasswordResetTemplatesOptions;
  messages: Record<string, PasswordResetTranslation>;
  /** Every language there are texts for, `defaultLanguage` first. */
  languages: string[];
  events: { failRequestOnListenerError: boolean };
  tokenTtlMs: number;
  inviteTtlMs: number;
  returnAddresses: ReturnAddresses;
  secondFactorAttempts: number;
  /** `digits` 0 when codes are off, else 6 to 10. */
  code: { digits: number; attempts: number };
  accountLimit: AccountLimit;
  delivery: DeliveryOptions;
  passwordPolicy: Omit<PasswordPolicyOptions, 'breached'> & {
    /** The range service's base without a trailing slash. */
    breached?: { rangeUrl: string; timeoutMs: number };
  };
  rateLimit: {
    lostPasswordPerMinute: number;
    resetPasswordPerMinute: number;
    storage?: ThrottlerStorage;
  };
  clock: Clock;
}

/** A mistake in the options, which stops the application's start. */
class InvalidOption extends Error {
  constructor(message: string) {
    super(`PasswordResetModule: ${message}`);
  }
}

/** The defaults, each replaced by the value given for it, if that is not undefined. */
function withDefaults<Defaults extends object, Given extends object>(
  defaults: Defaults,
  given: Given | undefined,
): Defaults & Given {
  const defined = Object.entries(given ?? {}).filter(
    ([, value]) => value !== undefined,
  );
  return { ...defaults, ...Object.fromEntries(defined) } as Defaults & Given;
}

function isHttpUrl(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    URL.canParse(value) &&
    /^https?:$/.test(new URL(value).protocol)
  );
}

/** HS256 wants a key at least as long as its hash; a short one is a configuration mistake worth stopping for. */
function checkedJwtSecret(jwtSecret: string): string {
  if (typeof jwtSecret !== 'string' || jwtSecret.length < 32)
    throw new InvalidOption('jwtSecret must be at least 32 characters');
  return jwtSecret;
}

/** `resetUrl?token=…`, or the host's own link (an SPA route, say); never built from a request. */
function resetLinkOf({
  resetUrl,
  resetLink,
}: PasswordResetModuleOptions): ResolvedPasswordResetOptions['resetLink'] {
  if (resetLink === undefined && resetUrl === undefined)
    throw new InvalidOption('resetUrl or resetLink is required');
  if (resetUrl !== undefined && !isHttpUrl(resetUrl))
    throw new InvalidOption('resetUrl must be an http(s) URL');
  if (resetLink)
    return (token, user) => {
      const link = resetLink(token, user);
      if (!isHttpUrl(link))
        throw new Error('resetLink returned no http(s) URL');
      return link;
    };
  return (token) => {
    const url = new URL(resetUrl!);
    url.searchParams.set('token', token);
    return url.toString();
  };
}

/** Without a transport, mail is written to files: never what production means. */
function checkedMail(
  mail: ResolvedPasswordResetOptions['mail'],
  environment: string | undefined,
): ResolvedPasswordResetOptions['mail'] {
  if (mail.transport === undefined && environment === 'production')
    throw new InvalidOption(
      'mail.transport is required when NODE_ENV=production',
    );
  return mail;
}

function checkedTemplates(
  templates: PasswordResetTemplatesOptions,
): PasswordResetTemplatesOptions {
  if (templates.directory !== undefined && !existsSync(templates.directory))
    throw new InvalidOption(
      `templates.directory ${templates.directory} does not exist`,
    );
  return templates;
}

function languagesOf(
  messages: Record<string, PasswordResetTranslation>,
  defaultLanguage: string,
): string[] {
  const available = [
    ...new Set([...Object.keys(SHIPPED_MESSAGES), ...Object.keys(messages)]),
  ];
  if (!available.includes(defaultLanguage))
    throw new InvalidOption(
      `defaultLanguage ${defaultLanguage} has no messages (languages: ${available.join(', ')})`,
    );
  return [
    defaultLanguage,
    ...available.filter((language) => language !== defaultLanguage),
  ];
}

/** Milliseconds, or a string such as `30m`, `2h`. */
function lifetimeMsOf(lifetime: number | string, what = 'reset token'): number {
  const parsed =
    typeof lifetime === 'number' ? lifetime : ms(lifetime as StringValue);
  if (!Number.isFinite(parsed) || parsed <= 0)
    throw new InvalidOption(`Invalid ${what} lifetime: ${String(lifetime)}`);
  return parsed;
}

function returnAddressesOf(returnUrls: string[] | undefined): ReturnAddresses {
  if (returnUrls === undefined) return ReturnAddresses.none();
  if (!Array.isArray(returnUrls))
    throw new InvalidOption('returnUrls must be an array of URLs');
  try {
    return ReturnAddresses.of(returnUrls);
  } catch (error) {
    throw new InvalidOption((error as Error).message);
  }
}

function checkedSecondFactorAttempts(attempts: number): number {
  if (!Number.isInteger(attempts) || attempts < 1 || attempts > 1000)
    throw new InvalidOption(
      `Invalid secondFactorAttempts: ${String(attempts)}`,
    );
  return attempts;
}

function checkedCode({
  digits,
  attempts,
}: ResolvedPasswordResetOptions['code']): ResolvedPasswordResetOptions['code'] {
  const { min, max } = RESET_CODE_DIGITS;
  if (
    !Number.isInteger(digits) ||
    (digits !== 0 && (digits < min || digits > max))
  )
    throw new InvalidOption(
      `code.digits must be ${min} to ${max}, or 0 for links only: ${String(digits)}`,
    );
  if (!Number.isInteger(attempts) || attempts < 1 || attempts > 1000)
    throw new InvalidOption(
      `code.attempts must be 1 to 1000: ${String(attempts)}`,
    );
  return { digits, attempts };
}

function checkedDelivery(delivery: DeliveryOptions): DeliveryOptions {
  if (!(Number.isInteger(delivery.concurrency) && delivery.concurrency > 0))
    throw new InvalidOption('delivery.concurrency must be a positive integer');
  if (!(delivery.leaseMs > delivery.attemptTimeoutMs))
    throw new InvalidOption(
      'delivery.leaseMs must be longer than delivery.attemptTimeoutMs',
    );
  return delivery;
}

function checkedPasswordPolicy({
  breached,
  ...policy
}: PasswordPolicyOptions): ResolvedPasswordResetOptions['passwordPolicy'] {
  if (!breached) return policy;
  const { rangeUrl } = breached;
  const timeoutMs = breached.timeoutMs ?? DEFAULTS.breached.timeoutMs;
  if (!isHttpUrl(rangeUrl))
    throw new InvalidOption(
      'passwordPolicy.breached.rangeUrl must be an http(s) URL',
    );
  if (!(timeoutMs > 0))
    throw new InvalidOption(
      'passwordPolicy.breached.timeoutMs must be positive',
    );
  return {
    ...policy,
    breached: { rangeUrl: rangeUrl.replace(/\/+$/, ''), timeoutMs },
  };
}

/**
 * The module's options as its providers read them: each default of
 * PASSWORD_RESET_DEFAULTS filled in, and each value checked, so that a
 * mistake stops the application at startup, naming the option, rather than
 * surfacing in the first mail or request.
 */
export function resolveOptions(
  options: PasswordResetModuleOptions,
  environment = process.env.NODE_ENV,
): ResolvedPasswordResetOptions {
  const messages = options.messages ?? DEFAULTS.messages;
  return {
    userStore: options.userStore,
    jwtSecret: checkedJwtSecret(options.jwtSecret),
    resetLink: resetLinkOf(options),
    mail: checkedMail(withDefaults(DEFAULTS.mail, options.mail), environment),
    templates: checkedTemplates(options.templates ?? DEFAULTS.templates),
    messages,
    languages: languagesOf(
      messages,
      options.defaultLanguage ?? DEFAULTS.defaultLanguage,
    ),
    events: withDefaults(DEFAULTS.events, options.events),
    tokenTtlMs: lifetimeMsOf(options.tokenTtl ?? DEFAULTS.tokenTtl),
    inviteTtlMs: lifetimeMsOf(
      options.inviteTtl ?? DEFAULTS.inviteTtl,
      'invitation',
    ),
    returnAddresses: returnAddressesOf(options.returnUrls),
    secondFactorAttempts: checkedSecondFactorAttempts(
      options.secondFactorAttempts ?? DEFAULTS.secondFactorAttempts,
    ),
    code: checkedCode(withDefaults(DEFAULTS.code, options.code)),
    accountLimit: options.accountLimit ?? DEFAULTS.accountLimit,
    delivery: checkedDelivery(
      withDefaults(DEFAULTS.delivery, options.delivery),
    ),
    passwordPolicy: checkedPasswordPolicy(
      withDefaults(DEFAULTS.passwordPolicy, options.passwordPolicy),
    ),
    rateLimit: withDefaults(DEFAULTS.rateLimit, options.rateLimit),
    clock: options.clock ?? DEFAULTS.clock,
  };
}
