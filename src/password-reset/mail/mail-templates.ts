import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Handlebars from 'handlebars';

export type MailTemplateName = 'reset-password' | 'password-changed';

const TEMPLATES = join(__dirname, 'templates');
const NAMES: MailTemplateName[] = ['reset-password', 'password-changed'];

// strict: a missing value is an error, never an empty gap in a mail. The text part is not HTML, so nothing in it is escaped.
const compile = (file: string, noEscape: boolean) => Handlebars.compile(readFileSync(join(TEMPLATES, file), 'utf8'), { strict: true, noEscape });
const templates = Object.fromEntries(
  NAMES.map((name) => [name, { html: compile(`${name}.hbs`, false), text: compile(`${name}.txt`, true) }]),
) as Record<MailTemplateName, { html: HandlebarsTemplateDelegate; text: HandlebarsTemplateDelegate }>;

/** Both parts of a mail, from its HTML and text templates. */
export function renderMail(name: MailTemplateName, context: Record<string, unknown>): { html: string; text: string } {
  return { html: templates[name].html(context), text: templates[name].text(context) };
}
