import { Inject, Injectable } from '@nestjs/common';
import type { PasswordResetUser } from '../interfaces/password-reset-user-store.interface';
import { Text, text } from '../i18n/text';
import type { ResolvedPasswordResetOptions } from '../options/resolve-options';
import { PASSWORD_RESET_RESOLVED_OPTIONS } from '../password-reset.constants';
import { BreachedPasswords } from './breached-passwords';
import { StrengthEstimator } from './strength-estimator';

type PasswordPolicy = ResolvedPasswordResetOptions['passwordPolicy'];

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
  private readonly policy: PasswordPolicy;

  constructor(
    @Inject(PASSWORD_RESET_RESOLVED_OPTIONS)
    options: Pick<ResolvedPasswordResetOptions, 'passwordPolicy'>,
    private readonly estimator: StrengthEstimator,
    private readonly breached: BreachedPasswords,
  ) {
    this.policy = options.passwordPolicy;
  }

  /** The lengths the policy allows, which the form tells the browser and the reader. */
  get lengths(): Pick<PasswordPolicy, 'minLength' | 'maxLength'> {
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
