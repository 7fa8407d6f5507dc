import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Response } from 'express';
import Handlebars from 'handlebars';

const TEMPLATES = join(__dirname, 'templates');

export type PageName = 'lost-password-form' | 'lost-password-sent' | 'reset-form' | 'reset-done' | 'link-invalid' | 'error';

const TITLES: Record<PageName, string> = {
  'lost-password-form': 'Forgot your password?',
  'lost-password-sent': 'Check your mail',
  'reset-form': 'Choose a new password',
  'reset-done': 'Password changed',
  'link-invalid': 'This link no longer works',
  error: 'Something went wrong',
};

function compile(name: string): HandlebarsTemplateDelegate {
  return Handlebars.compile(readFileSync(join(TEMPLATES, `${name}.hbs`), 'utf8'), { strict: false });
}

const css = readFileSync(join(TEMPLATES, 'page.css'), 'utf8');
const layout = compile('layout');
const bodies = Object.fromEntries(Object.keys(TITLES).map((name) => [name, compile(name)])) as Record<PageName, HandlebarsTemplateDelegate>;

/**
 * No scripts, no third-party assets, only the one inline stylesheet (allowed by
 * its hash); forms post to this origin only; no page may frame these.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  `style-src 'sha256-${createHash('sha256').update(css).digest('base64')}'`,
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

/**
 * Renders a page and sets the headers every page of the flow carries: the link
 * holds a token, so nothing may leak it onward (no referrer), keep it (no
 * store) or show it inside another site (no framing).
 */
export function renderPage(res: Response, name: PageName, context: Record<string, unknown> = {}): string {
  res.type('html');
  res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  return layout({ title: TITLES[name], css, body: bodies[name](context) });
}
