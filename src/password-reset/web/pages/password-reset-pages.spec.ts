import { createHash } from 'node:crypto';
import { ApplicationConfig } from '@nestjs/core';
import {
  PasswordResetPaths,
  resolveRoutes,
} from '../http/password-reset-paths';
import { PasswordResetTranslator } from '../../i18n/password-reset-translator';
import { PasswordResetMetrics } from '../../metrics/password-reset-metrics';
import { systemClock } from '../../clock';
import { BreachedPasswords } from '../../password-policy/breached-passwords';
import { PasswordPolicyService } from '../../password-policy/password-policy.service';
import { StrengthEstimator } from '../../password-policy/strength-estimator';
import type { PageName } from '../../interfaces/password-reset-templates.interface';
import { PasswordResetTemplates } from '../../rendering/password-reset-templates';
import { PasswordResetPages } from './password-reset-pages';
import { resolvedOptions } from '../../../../test/support/module-options';

describe('PasswordResetPages', () => {
  const translator = new PasswordResetTranslator(resolvedOptions());
  const templates = new PasswordResetTemplates(resolvedOptions(), translator);
  const pages = new PasswordResetPages(
    templates,
    translator,
    new PasswordResetPaths(new ApplicationConfig(), resolveRoutes()),
    new PasswordPolicyService(
      resolvedOptions(),
      new StrengthEstimator(),
      new BreachedPasswords(
        resolvedOptions(),
        systemClock,
        PasswordResetMetrics.off(),
      ),
    ),
    resolvedOptions(),
  );
  const request = (acceptLanguage?: string | string[]) =>
    ({
      method: 'GET',
      headers: { 'accept-language': acceptLanguage },
    }) as never;
  const titleOf = (html: string) => /<title>([^<]*)<\/title>/.exec(html)?.[1];

  it('sends every page with headers that keep its link from leaking, being stored or being framed', () => {
    const css = templates.stylesheet('en');
    const page = pages.render(request(), 'lost-password-form', 'lostPassword');
    expect(page.headers).toEqual({
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Language': 'en',
      'Content-Security-Policy': `default-src 'none'; style-src 'sha256-${createHash('sha256').update(css).digest('base64')}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
      'Referrer-Policy': 'no-referrer',
      'Cache-Control': 'no-store',
      'X-Frame-Options': 'DENY',
      'X-Content-Type-Options': 'nosniff',
    });
    expect(page.html).toContain(css);
  });

  it.each<[PageName, string]>([
    ['lost-password-form', 'Forgot your password?'],
    ['lost-password-sent', 'Check your mail'],
    ['reset-form', 'Choose a new password'],
    ['reset-done', 'Password changed'],
    ['link-invalid', 'This link no longer works'],
    ['error', 'Something went wrong'],
  ])('titles the %s page "%s"', (name, title) => {
    expect(
      titleOf(
        pages.render(request(), name, 'resetPassword', {
          token: 't',
          message: 'm',
        }).html,
      ),
    ).toBe(title);
  });

  it('speaks the language of Accept-Language, also when the header came more than once', () => {
    expect(pages.languageOf(request('de-DE,de;q=0.9'))).toBe('de');
    expect(pages.languageOf(request(['fr', 'de']))).toBe('de');
    const german = pages.render(request('de'), 'link-invalid', 'resetPassword');
    expect(german.headers['Content-Language']).toBe('de');
    expect(titleOf(german.html)).toBe('Dieser Link funktioniert nicht mehr');
  });

  it('links the pages to each other relative to where they are served, and tells the form the allowed lengths', () => {
    expect(
      pages.render(request(), 'link-invalid', 'resetPassword').html,
    ).toContain('<a href="lostPassword">');
    const { html } = pages.render(request(), 'reset-form', 'resetPassword', {
      token: 'the-token',
    });
    expect(html).toContain('action="resetPassword"');
    expect(html).toContain('minlength="8"');
    expect(html).toContain('maxlength="128"');
    expect(html).toContain('the-token');
  });
});
