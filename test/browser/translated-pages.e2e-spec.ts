import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, Browser, Page, Response } from 'playwright-core';
import { chromiumBrowser } from '../support/chromium';
import { required } from '../support/debian-package';
import { testPlatforms } from '../support/platforms';
import { freePort, ServerProcess } from '../support/server-process';
import { SmtpSink, tokenFrom } from '../support/smtp-sink';

/**
 * A person whose browser speaks German goes through the flow in real
 * Chromium against the built standalone server: every page in German, as
 * the browser's own Accept-Language asks.
 */

const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const NEW_PASSWORD = 'stille Laterne Umlaufbahn 1987 Wiese';

async function submit(page: Page): Promise<Response> {
  const [response] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('button[type=submit]')]);
  if (!response) throw new Error('the form post led to no new document');
  return response;
}

const text = async (page: Page, selector: string) => ((await page.textContent(selector)) ?? '').trim();

describe.each(testPlatforms())('the pages in German, in a real browser (%s)', (platform) => {
  jest.setTimeout(60000);

  const workDir = mkdtempSync(join(tmpdir(), 'password-reset-browser-de-'));
  let smtp: SmtpSink;
  let server: ServerProcess;
  let browser: Browser;
  let page: Page;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    const chromiumPath = required(chromiumBrowser);
    smtp = await new SmtpSink().start();
    const port = await freePort();
    server = new ServerProcess({
      HTTP_ADAPTER: platform,
      PORT: String(port),
      DATABASE_URL: `sqlite:${join(workDir, 'db.sqlite')}`,
      SMTP_URL: smtp.url,
      JWT_SECRET: 'browser-german-test-secret-browser-german-test-secret',
      RESET_URL: `http://127.0.0.1:${port}/auth/resetPassword`,
      IP_RATE_LIMIT: '0',
    });
    server.addUser('lena', 'lena@example.com', 'alte Kupferkanne 2009 Hafen');
    await server.start();
    browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: CHROMIUM_ARGS });
    // Chromium sends the context's locale as Accept-Language, as a German browser does.
    page = await (await browser.newContext({ locale: 'de-DE' })).newPage();
    page.on('console', (message) => {
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource: the server responded with a status of 400')) consoleErrors.push(message.text());
    });
  });

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await server?.stop();
    await smtp?.stop();
    if (server) rmSync(server.cwd, { recursive: true, force: true });
    rmSync(workDir, { recursive: true, force: true });
  });

  it('asks, refuses and confirms in German, with the German page styled as the English one', async () => {
    const form = await page.goto(`${server.baseUrl}/auth/lostPassword`);
    expect(form?.headers()['content-language']).toBe('de');
    expect(await page.title()).toBe('Passwort vergessen?');
    expect(await page.getAttribute('html', 'lang')).toBe('de');
    expect(await text(page, 'label[for=username]')).toBe('Benutzername oder E-Mail-Adresse');
    expect(await text(page, 'button[type=submit]')).toBe('Link schicken');
    expect(await page.evaluate('getComputedStyle(document.body).backgroundColor')).toBe('rgb(245, 245, 247)');
    await page.screenshot({ path: join(process.env.KEEP_SCREENSHOTS ?? workDir, 'lost-password-form-de.png'), fullPage: true });

    await page.fill('input[name=username]', 'lena');
    expect((await submit(page)).status()).toBe(200);
    expect(await text(page, 'h1')).toBe('Sehen Sie in Ihr Postfach');

    const [mail] = await smtp.waitForMails('lena@example.com', 1, 15000);
    await page.goto(`${server.baseUrl}/auth/resetPassword?token=${tokenFrom(mail)}`);
    expect(await text(page, 'h1')).toBe('Neues Passwort wählen');
    expect(await text(page, 'label[for=passwordConfirmation]')).toBe('Dasselbe Passwort noch einmal');

    await page.fill('input[name=password]', NEW_PASSWORD);
    await page.fill('input[name=passwordConfirmation]', `${NEW_PASSWORD}!`);
    expect((await submit(page)).status()).toBe(400);
    expect(await page.$$eval('#problems li', (items) => items.map((item) => (item.textContent ?? '').trim()))).toEqual(['die beiden Passwörter stimmen nicht überein']);

    await page.fill('input[name=password]', NEW_PASSWORD);
    await page.fill('input[name=passwordConfirmation]', NEW_PASSWORD);
    expect((await submit(page)).status()).toBe(200);
    expect(await page.title()).toBe('Passwort geändert');
    expect(await text(page, '#outcome')).toBe('Ihr Passwort wurde geändert. Sie können sich jetzt damit anmelden.');
    expect(server.verifyPassword('lena', NEW_PASSWORD)).toBe(true);
    expect(consoleErrors).toEqual([]);
  });
});
