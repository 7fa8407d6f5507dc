import i18next, { i18n } from 'i18next';
import type { PasswordResetTranslation } from './messages.en';
import { SHIPPED_MESSAGES } from './shipped-messages';
import type { Text } from './text';

const FALLBACK_LANGUAGE = 'en';

/** One i18next instance per module: a host's texts never leak into another's. Missing keys fall back to English. */
export function createI18n(
  messages: Record<string, PasswordResetTranslation>,
): i18n {
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
