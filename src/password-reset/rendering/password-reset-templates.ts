import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import Handlebars from 'handlebars';
import { PasswordResetTranslator } from '../i18n/password-reset-translator';
import type {
  PasswordResetTemplateContext,
  PasswordResetTemplateFile,
  PasswordResetTemplatesOptions,
} from '../interfaces/password-reset-templates.interface';
import type { ResolvedPasswordResetOptions } from '../options/resolve-options';
import { PASSWORD_RESET_RESOLVED_OPTIONS } from '../password-reset.constants';

const MAIL_TEMPLATES = join(__dirname, '..', 'mail', 'templates');
const PAGE_TEMPLATES = join(__dirname, '..', 'web', 'pages', 'templates');
const STYLESHEET = 'page.css';

const MAIL_TEMPLATE_NAMES = ['reset-password', 'invite', 'password-changed'];

function isMailTemplate(file: string): boolean {
  return MAIL_TEMPLATE_NAMES.some((name) => file.startsWith(`${name}.`));
}

type Render = (
  context: Record<string, unknown>,
  data: { t: PasswordResetTemplateContext['t'] },
) => string;

/**
 * The mails' and pages' templates: the host's where it has one, the module's
 * otherwise, each compiled once per language. Mail templates are strict (a
 * missing value is an error, never a gap in a mail); the text part is not
 * HTML, so nothing in it is escaped.
 */
@Injectable()
export class PasswordResetTemplates {
  private readonly handlebars = Handlebars.create();
  private readonly options: PasswordResetTemplatesOptions;
  private readonly compiled = new Map<string, Render>();
  private readonly stylesheets = new Map<string, string>();

  constructor(
    @Inject(PASSWORD_RESET_RESOLVED_OPTIONS)
    options: Pick<ResolvedPasswordResetOptions, 'templates'>,
    private readonly translator: PasswordResetTranslator,
  ) {
    this.options = options.templates;
    this.handlebars.registerHelper(
      't',
      (key: string, helper: Handlebars.HelperOptions) =>
        (helper.data as { t: PasswordResetTemplateContext['t'] }).t(
          key,
          helper.hash,
        ),
    );
  }

  /** One template, in one language. */
  render(
    file: PasswordResetTemplateFile,
    language: string,
    values: Record<string, unknown>,
  ): string {
    const t = this.translator.in(language) as PasswordResetTemplateContext['t'];
    const context = { ...values, language };
    const hostFunction = this.options.functions?.[file];
    if (hostFunction) return hostFunction({ ...context, t });
    return this.template(file, language)(context, { t });
  }

  /** The pages' stylesheet in one language (a host may style one language apart). */
  stylesheet(language: string): string {
    let css = this.stylesheets.get(language);
    if (css === undefined) {
      css = readFileSync(this.pathOf(STYLESHEET, language), 'utf8');
      this.stylesheets.set(language, css);
    }
    return css;
  }

  private template(file: PasswordResetTemplateFile, language: string): Render {
    const key = `${language}/${file}`;
    let render = this.compiled.get(key);
    if (!render) {
      const mail = isMailTemplate(file);
      const template = this.handlebars.compile(
        readFileSync(this.pathOf(file, language), 'utf8'),
        { strict: mail, noEscape: file.endsWith('.txt') },
      );
      render = (context, data) => template(context, { data });
      this.compiled.set(key, render);
    }
    return render;
  }

  /** The host's file for this language, else its file for every language, else the module's. */
  private pathOf(file: string, language: string): string {
    const { directory } = this.options;
    const candidates = directory
      ? [join(directory, language, file), join(directory, file)]
      : [];
    return (
      candidates.find((path) => existsSync(path)) ??
      join(isMailTemplate(file) ? MAIL_TEMPLATES : PAGE_TEMPLATES, file)
    );
  }
}
