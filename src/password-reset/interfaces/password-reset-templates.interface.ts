/** The mails the module sends, by template name. */
export type MailTemplateName = 'reset-password' | 'invite' | 'password-changed';
/** The pages the module serves, by template name. */
export type PageName =
  | 'lost-password-form'
  | 'lost-password-sent'
  | 'reset-form'
  | 'reset-done'
  | 'link-invalid'
  | 'error';

/** Every template a host can replace, by file name: each mail's HTML (`.hbs`) and text (`.txt`) part, each page and their layout. */
export type PasswordResetTemplateFile =
  `${MailTemplateName}.${'hbs' | 'txt'}` | `${PageName | 'layout'}.hbs`;

/** What a template gets: its own values, the reader's language, and `t` for the module's texts in it. */
export interface PasswordResetTemplateContext extends Record<string, unknown> {
  language: string;
  t: (key: string, values?: Record<string, unknown>) => string;
}

/** A template as a function; it escapes what it puts into HTML itself. */
export type PasswordResetTemplateFunction = (
  context: PasswordResetTemplateContext,
) => string;

/** The `templates` option: the host's own mails and pages. */
export interface PasswordResetTemplatesOptions {
  /**
   * A directory of files named as the module's (`reset-password.hbs`,
   * `reset-password.txt`, `reset-form.hbs`, `layout.hbs`, `page.css`, …),
   * Handlebars with a `t` helper for the module's texts. `<language>/<file>`
   * there wins for that language. A file it lacks stays the module's.
   */
  directory?: string;
  /** Templates as functions, by file name; they win over the directory. */
  functions?: Partial<
    Record<PasswordResetTemplateFile, PasswordResetTemplateFunction>
  >;
}
