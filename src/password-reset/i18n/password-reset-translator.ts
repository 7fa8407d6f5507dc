import { Inject, Injectable } from '@nestjs/common';
import i18next, { i18n, TFunction } from 'i18next';
import Negotiator from 'negotiator';
import type { ResolvedPasswordResetOptions } from '../options/resolve-options';
import { PASSWORD_RESET_RESOLVED_OPTIONS } from '../password-reset.constants';
import type { PasswordResetTranslation } from './messages.en';
import { SHIPPED_MESSAGES } from './shipped-messages';
import type { Text } from './text';

const FALLBACK_LANGUAGE = 'en';

/** One i18next instance per module: a host's texts never leak into another's. Missing keys fall back to English. */
function createI18n(messages: Record<string, PasswordResetTranslation>): i18n {
  const instance = i18next.createInstance();
  void instance.init({
    resources: Object.fromEntries(
      Object.entries(SHIPPED_MESSAGES).map(([language, texts]) => [
        language,
        { translation: texts },
      ]),
    ),
    lng: FALLBACK_LANGUAGE,
    fallbackLng: FALLBACK_LANGUAGE,
    initAsync: false,
    // Handlebars escapes what goes into HTML; a text mail is not HTML.
    interpolation: { escapeValue: false },
    returnNull: false,
    returnEmptyString: false,
  });
  for (const [language, texts] of Object.entries(messages))
    instance.addResourceBundle(language, 'translation', texts, true, true);
  return instance;
}

const shipped = createI18n({});

/** A text in English, as the module ships it: what an error carries for code that is not the module's own. */
export function inEnglish({ key, values }: Text): string {
  return shipped.t(key, values);
}

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
