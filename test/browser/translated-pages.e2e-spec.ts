import { join } from 'node:path';
import type { Page } from 'playwright-core';
import {
  BrowserFlow,
  startBrowserFlow,
  submit,
  text,
} from '../support/browser-flow';
import { testPlatforms } from '../support/platforms';
import type { ServerProcess } from '../support/server-process';
import { SmtpSink, tokenFrom } from '../support/smtp-sink';

/**
 * A person whose browser speaks German goes through the flow in real
 * Chromium against the built standalone server: every page in German, as
 * the browser's own Accept-Language asks.
 */

const NEW_PASSWORD = 'stille Laterne Umlaufbahn 1987 Wiese';

describe.each(testPlatforms())(
  'the pages in German, in a real browser (%s)',
  (platform) => {
    jest.setTimeout(60000);

    let flow: BrowserFlow;
    let smtp: SmtpSink;
    let server: ServerProcess;
    let page: Page;
    let consoleErrors: string[];

    beforeAll(async () => {
      // Chromium sends the context's locale as Accept-Language, as a German browser does.
      flow = await startBrowserFlow(
        platform,
        {
          username: 'lena',
          email: 'lena@example.com',
          password: 'alte Kupferkanne 2009 Hafen',
        },
        { locale: 'de-DE' },
      );
      ({ smtp, server, page, consoleErrors } = flow);
    });
    afterAll(() => flow?.close());

    it('asks, refuses and confirms in German, with the German page styled as the English one', async () => {
      const form = await page.goto(`${server.baseUrl}/auth/lostPassword`);
      expect(form?.headers()['content-language']).toBe('de');
      expect(await page.title()).toBe('Passwort vergessen?');
      expect(await page.getAttribute('html', 'lang')).toBe('de');
      expect(await text(page, 'label[for=username]')).toBe(
        'Benutzername oder E-Mail-Adresse',
      );
      expect(await text(page, 'button[type=submit]')).toBe('Link schicken');
      expect(
        await page.evaluate('getComputedStyle(document.body).backgroundColor'),
      ).toBe('rgb(245, 245, 247)');
      await page.screenshot({
        path: join(
          process.env.KEEP_SCREENSHOTS ?? flow.workDir,
          'lost-password-form-de.png',
        ),
        fullPage: true,
      });

      await page.fill('input[name=username]', 'lena');
      expect((await submit(page)).status()).toBe(200);
      expect(await text(page, 'h1')).toBe('Sehen Sie in Ihr Postfach');

      const [mail] = await smtp.waitForMails('lena@example.com', 1, 15000);
      await page.goto(
        `${server.baseUrl}/auth/resetPassword?token=${tokenFrom(mail)}`,
      );
      expect(await text(page, 'h1')).toBe('Neues Passwort wählen');
      expect(await text(page, 'label[for=passwordConfirmation]')).toBe(
        'Dasselbe Passwort noch einmal',
      );

      await page.fill('input[name=password]', NEW_PASSWORD);
      await page.fill('input[name=passwordConfirmation]', `${NEW_PASSWORD}!`);
      expect((await submit(page)).status()).toBe(400);
      expect(
        await page.$$eval('#problems li', (items) =>
          items.map((item) => (item.textContent ?? '').trim()),
        ),
      ).toEqual(['die beiden Passwörter stimmen nicht überein']);

      await page.fill('input[name=password]', NEW_PASSWORD);
      await page.fill('input[name=passwordConfirmation]', NEW_PASSWORD);
      expect((await submit(page)).status()).toBe(200);
      expect(await page.title()).toBe('Passwort geändert');
      expect(await text(page, '#outcome')).toBe(
        'Ihr Passwort wurde geändert. Sie können sich jetzt damit anmelden.',
      );
      expect(server.verifyPassword('lena', NEW_PASSWORD)).toBe(true);
      expect(consoleErrors).toEqual([]);
    });
  },
);
