import { Inject, Injectable } from '@nestjs/common';
import type { i18n, TFunction } from 'i18next';
import Negotiator from 'negotiator';
import type { ResolvedPasswordResetOptions } from '../options/resolve-options';
import { PASSWORD_RESET_RESOLVED_OPTIONS } from '../password-reset.constants';
import { createI18n } from './i18n-instances';
import type { Text } from './text';

/**
 * The module's languages: which one a reader gets (a page's from
 * `Accept-Language`, a mail's from the user's `locale`), and the texts in it.
 */
@Injectable()
export class PasswordResetTranslator {
  /** The default first, so that a request without a preference, or with `*`, gets it. */
  readonly languages: string[];
  private readonly i18n: i18n;

  constructor(
    @Inject(PASSWORD_RESET_RESOLVED_OPTIONS)
    options: Pick<ResolvedPasswordResetOptions, 'languages' | 'messages'>,
  ) {
    this.languages = options.languages;
    this.i18n = createI18n(options.messages);
  }

  /** The best of the module's languages for an `Accept-Language` header; the default without one. */
  fromAcceptLanguage(header: string | undefined): string {
    if (!header) return this.languages[0];
    return (
      new Negotiator({ headers: { 'accept-language': header } }).language(
        this.languages,
      ) ?? this.languages[0]
    );
  }

  /** The language for a user's `locale` (`de`, `de-AT`, `de_AT`): the exact one, else its primary language, else the default. */
  fromLocale(locale: string | undefined): string {
    if (!locale) return this.languages[0];
    const wanted = locale.replace(/_/g, '-').toLowerCase();
    const primary = wanted.split('-')[0];
    return (
      this.languages.find((language) => language.toLowerCase() === wanted) ??
      this.languages.find((language) => language.toLowerCase() === primary) ??
      this.languages[0]
    );
  }

  /** Texts by key in one language. */
  in(language: string): TFunction {
    return this.i18n.getFixedT(language);
  }

  translate(language: string, { key, values }: Text): string {
    return this.in(language)(key, values);
  }
}
