import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { HttpRequest } from '../http/http-request';
import {
  PasswordResetPaths,
  PasswordResetRoute,
} from '../http/password-reset-paths';
import { PasswordResetTranslator } from '../../i18n/password-reset-translator';
import { PasswordPolicyService } from '../../password-policy/password-policy.service';
import type { PageName } from '../../interfaces/password-reset-templates.interface';
import { PasswordResetTemplates } from '../../rendering/password-reset-templates';
import type { ResolvedPasswordResetOptions } from '../../options/resolve-options';
import { PASSWORD_RESET_RESOLVED_OPTIONS } from '../../password-reset.constants';

/** Where each page's texts are among the messages (`pages.<section>.title`, …). */
const MESSAGE_SECTIONS: Record<PageName, string> = {
  'lost-password-form': 'lostPasswordForm',
  'lost-password-sent': 'lostPasswordSent',
  'reset-form': 'resetForm',
  'reset-done': 'resetDone',
  'link-invalid': 'linkInvalid',
  error: 'error',
};

/**
 * No scripts, no third-party assets, only the one inline stylesheet (allowed by
 * its hash); forms post to this origin only; no page may frame these.
 */
function contentSecurityPolicy(css: string): string {
  return [
    "default-src 'none'",
    `style-src 'sha256-${createHash('sha256').update(css).digest('base64')}'`,
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
}

/**
 * The headers every page of the flow carries: the link holds a token, so
 * nothing may leak it onward (no referrer), keep it (no store) or show it
 * inside another site (no framing).
 */
function pageHeaders(
  css: string,
  language: string,
): Readonly<Record<string, string>> {
  return {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Language': language,
    'Content-Security-Policy': contentSecurityPolicy(css),
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-store',
    'X-Frame-Options': 'DENY',
    'X-Content-Type-Options': 'nosniff',
  };
}

/** A rendered page and the headers it is sent with. */
export class Page {
  constructor(
    readonly html: string,
    readonly headers: Readonly<Record<string, string>>,
  ) {}
}

/** The pages, in the reader's language (`Accept-Language`), from the host's templates where it has them. */
@Injectable()
export class PasswordResetPages {
  constructor(
    private readonly templates: PasswordResetTemplates,
    private readonly translator: PasswordResetTranslator,
    private readonly paths: PasswordResetPaths,
    private readonly policy: PasswordPolicyService,
    @Inject(PASSWORD_RESET_RESOLVED_OPTIONS)
    private readonly options: Pick<ResolvedPasswordResetOptions, 'code'>,
  ) {}

  /** The language a request's pages and error messages are in. */
  languageOf(request: HttpRequest): string {
    const header = request.headers['accept-language'];
    return this.translator.fromAcceptLanguage(
      Array.isArray(header) ? header.join(',') : header,
    );
  }

  /** A page as served at `route`: its links are relative to that route, so they hold under any global prefix. */
  render(
    request: HttpRequest,
    name: PageName,
    route: PasswordResetRoute,
    values: Record<string, unknown> = {},
  ): Page {
    const language = this.languageOf(request);
    const links = {
      lostPassword: this.paths.relativeLink(route, 'lostPassword'),
      resetPassword: this.paths.relativeLink(route, 'resetPassword'),
    };
    const body = this.templates.render(`${name}.hbs`, language, {
      ...this.policy.lengths,
      codeDigits: this.options.code.digits,
      ...values,
      links,
    });
    // An invitation's pages have titles of their own (`inviteTitle`).
    const title = this.translator.in(language)(
      `pages.${MESSAGE_SECTIONS[name]}.${values.invite ? 'inviteTitle' : 'title'}`,
    );
    const css = this.templates.stylesheet(language);
    return new Page(
      this.templates.render('layout.hbs', language, { title, css, body }),
      pageHeaders(css, language),
    );
  }
}
