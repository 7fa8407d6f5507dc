import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
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
 * The headers every page of the flow carries: the link holds a token, so
 * nothing may leak it onward (no referrer), keep it (no store) or show it
 * inside another site (no framing).
 */
const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Type': 'text/html; charset=utf-8',
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
};

/** A rendered page and the headers it is sent with. */
export class Page {
  readonly headers = PAGE_HEADERS;
  constructor(readonly html: string) {}
}

export function renderPage(name: PageName, context: Record<string, unknown> = {}): Page {
  return new Page(layout({ title: TITLES[name], css, body: bodies[name](context) }));
}
