import { GERMAN_MESSAGES } from './messages.de';
import { ENGLISH_MESSAGES, PasswordResetTranslation } from './messages.en';

/** The languages the module ships; a host adds others, or changes texts, with `messages`. */
export const SHIPPED_MESSAGES: Record<string, PasswordResetTranslation> = {
  en: ENGLISH_MESSAGES,
  de: GERMAN_MESSAGES,
};
