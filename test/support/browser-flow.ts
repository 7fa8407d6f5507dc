import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  chromium,
  Browser,
  BrowserContextOptions,
  Page,
  Response,
} from 'playwright-core';
import { chromiumBrowser } from './chromium';
import { required } from './debian-package';
import type { TestPlatform } from './platforms';
import { freePort, ServerProcess } from './server-process';
import { SmtpSink } from './smtp-sink';

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface BrowserFlow {
  smtp: SmtpSink;
  server: ServerProcess;
  browser: Browser;
  page: Page;
  /** Console errors of the page: a CSP violation (the inline stylesheet's hash not matching, say) shows up there. */
  consoleErrors: string[];
  /** A temporary directory of the test's, deleted by `close`. */
  workDir: string;
  close(): Promise<void>;
}

/**
 * The built standalone server as a process, with one user, mailing a real
 * SMTP server on loopback, and a page of headless Chromium (see chromium.ts)
 * in a new context to drive it.
 */
export async function startBrowserFlow(
  platform: TestPlatform,
  user: { username: string; email: string; password: string },
  contextOptions: BrowserContextOptions = {},
): Promise<BrowserFlow> {
  const chromiumPath = required(chromiumBrowser);
  const workDir = mkdtempSync(join(tmpdir(), 'password-reset-browser-'));
  const smtp = await new SmtpSink().start();
  const port = await freePort();
  const server = new ServerProcess({
    HTTP_ADAPTER: platform,
    PORT: String(port),
    DATABASE_URL: `sqlite:${join(workDir, 'db.sqlite')}`,
    SMTP_URL: smtp.url,
    JWT_SECRET: 'browser-flow-test-secret-browser-flow-test-secret',
    RESET_URL: `http://127.0.0.1:${port}/auth/resetPassword`,
    IP_RATE_LIMIT: '0',
  });
  server.addUser(user.username, user.email, user.password);
  await server.start();

  const browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: CHROMIUM_ARGS,
  });
  const page = await (await browser.newContext(contextOptions)).newPage();
  const consoleErrors: string[] = [];
  // A deliberate 400 (a refused password) shows up as "Failed to load resource", which is expected.
  page.on('console', (message) => {
    if (
      message.type() === 'error' &&
      !message
        .text()
        .startsWith(
          'Failed to load resource: the server responded with a status of 400',
        )
    )
      consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => consoleErrors.push(error.message));

  const close = async () => {
    await browser.close().catch(() => undefined);
    await server.stop();
    await smtp.stop();
    rmSync(server.cwd, { recursive: true, force: true });
    rmSync(workDir, { recursive: true, force: true });
  };
  return { smtp, server, browser, page, consoleErrors, workDir, close };
}

/** Clicks a form's submit button and waits for the page the form post leads to. */
export async function submit(
  page: Page,
  selector = 'button[type=submit]',
): Promise<Response> {
  const [response] = await Promise.all([
    page.waitForNavigation({ waitUntil: 'load' }),
    page.click(selector),
  ]);
  if (!response) throw new Error('the form post led to no new document');
  return response;
}

export async function text(page: Page, selector: string): Promise<string> {
  return ((await page.textContent(selector)) ?? '').trim();
}
