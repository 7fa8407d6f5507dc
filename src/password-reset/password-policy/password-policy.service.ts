import { Inject, Injectable } from '@nestjs/common';
import type { PasswordResetModuleOptions } from '../interfaces/password-reset-module-options.interface';
import type { PasswordResetUser } from '../interfaces/password-reset-user-store.interface';
import { Text, text } from '../i18n/text';
import { PASSWORD_RESET_OPTIONS } from '../password-reset.module-definition';
import {
  BreachedPasswords,
  BreachedPasswordsOptions,
} from './breached-passwords';
import { StrengthEstimator } from './strength-estimator';

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

export const DEFAULT_PASSWORD_POLICY: PasswordPolicyOptions = {
  minLength: 8,
  maxLength: 128,
  minStrength: 3,
};

/** The key of the reason given for a password found in a data breach. */
export const BREACHED_PASSWORD_REASON = 'passwordPolicy.breached';

/**
 * The documented password policy, after NIST SP 800-63B: a length range, not
 * the user's own name or address, and not common or easily guessed, judged by
 * the maintained zxcvbn-ts estimator (common-password and English dictionaries,
 * keyboard patterns, sequences, dates), with the user's own data as extra words.
 * Optionally, not found in a data breach (NIST's "previous breach corpuses").
 * No composition rules (NIST advises against them). Passwords are compared and
 * measured in NFKC, the form in which they are stored.
 */
@Injectable()
export class PasswordPolicyService {
  private readonly policy: PasswordPolicyOptions;

  constructor(
    @Inject(PASSWORD_RESET_OPTIONS) options: PasswordResetModuleOptions,
    private readonly estimator: StrengthEstimator,
    private readonly breached: BreachedPasswords,
  ) {
    this.policy = { ...DEFAULT_PASSWORD_POLICY, ...options.passwordPolicy };
  }

  /** The lengths the policy allows, which the form tells the browser and the reader. */
  get lengths(): Pick<PasswordPolicyOptions, 'minLength' | 'maxLength'> {
    return {
      minLength: this.policy.minLength,
      maxLength: this.policy.maxLength,
    };
  }

  /** The reasons the password is refused; empty when it is acceptable. */
  async check(password: string, user: PasswordResetUser): Promise<Text[]> {
    const length = [...password].length;
    if (length < this.policy.minLength)
      return [
        text('passwordPolicy.tooShort', { minLength: this.policy.minLength }),
      ];
    if (length > this.policy.maxLength)
      return [
        text('passwordPolicy.tooLong', { maxLength: this.policy.maxLength }),
      ];
    const lowered = password.toLowerCase();
    const personal = [
      user.username,
      user.email,
      user.email.split('@')[0],
    ].filter((value): value is string => !!value);
    if (personal.some((value) => lowered === value.toLowerCase()))
      return [text('passwordPolicy.personal')];
    const { score, warning, suggestions } = await this.estimator.estimate(
      password,
      personal,
    );
    // Asked only about passwords that pass every other rule: the others need no answer from outside.
    if (score >= this.policy.minStrength)
      return (await this.breached.includes(password))
        ? [text(BREACHED_PASSWORD_REASON)]
        : [];
    // zxcvbn's own hints are in English in every language.
    const hints = [...(warning ? [warning] : []), ...suggestions].map((hint) =>
      text('passwordPolicy.hint', { hint }),
    );
    return [text('passwordPolicy.guessable'), ...hints];
  }
}
