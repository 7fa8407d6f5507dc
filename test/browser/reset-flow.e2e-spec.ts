import { statSync } from 'node:fs';
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
 * The whole forgot-password flow as a person goes through it: a real headless
 * Chromium (see support/chromium.ts) against the built standalone server as a real process,
 * with a real SMTP server receiving the mails. Every step is checked on what
 * the page shows.
 */

const USERNAME = 'olivia';
const EMAIL = 'olivia@example.com';
const OLD_PASSWORD = 'old copper kettle 2009 harbour';
const WEAK_PASSWORD = 'password123';
const NEW_PASSWORD = 'quiet lantern orbit 1987 meadow';

describe.each(testPlatforms())(
  'the forgot-password flow in a real browser (%s)',
  (platform) => {
    jest.setTimeout(60000);

    let flow: BrowserFlow;
    // Screenshots go to a temp dir; set KEEP_SCREENSHOTS=<dir> to keep them for a look.
    const screenshotDir = () => process.env.KEEP_SCREENSHOTS ?? flow.workDir;
    let smtp: SmtpSink;
    let server: ServerProcess;
    let page: Page;
    let consoleErrors: string[];
    const requestedUrls: string[] = [];

    beforeAll(async () => {
      flow = await startBrowserFlow(platform, {
        username: USERNAME,
        email: EMAIL,
        password: OLD_PASSWORD,
      });
      ({ smtp, server, page, consoleErrors } = flow);
      page.on('request', (request) => requestedUrls.push(request.url()));
    });
    afterAll(() => flow?.close());

    it('asks for a link, refuses a weak password, sets a strong one, and the link then no longer works', async () => {
      const base = server.baseUrl;

      // 1. The request form.
      const formResponse = await page.goto(`${base}/auth/lostPassword`);
      expect(formResponse?.status()).toBe(200);
      expect(await page.title()).toBe('Forgot your password?');
      expect(await text(page, 'h1')).toBe('Forgot your password?');
      await page.fill('input[name=username]', USERNAME);

      // 2. Submitting it: "Check your mail", the same page whether or not the user exists.
      const sentResponse = await submit(page);
      expect(sentResponse.request().method()).toBe('POST');
      expect(sentResponse.status()).toBe(200);
      expect(await text(page, 'h1')).toBe('Check your mail');
      expect(await text(page, '#outcome')).toMatch(
        /a mail with a link to choose a new password is on its way/,
      );

      // 3. The mail, to the stored address, with the full link in its text part.
      const [resetMail] = await smtp.waitForMails(EMAIL, 1, 15000);
      expect(resetMail.to).toEqual([EMAIL]);
      const token = tokenFrom(resetMail);
      const link = /https?:\/\/\S+[?&]token=[\w.-]+/.exec(
        resetMail.parsed.text ?? '',
      )![0];
      expect(link).toBe(`${base}/auth/resetPassword?token=${token}`);

      // 4. Opening the link: the form, with the headers that keep the token from leaking.
      const linkResponse = await page.goto(link);
      expect(linkResponse?.status()).toBe(200);
      expect(await page.title()).toBe('Choose a new password');
      expect(await text(page, 'h1')).toBe('Choose a new password');
      expect(await page.$('#problems')).toBeNull();
      expect(await page.inputValue('input[type=hidden][name=token]')).toBe(
        token,
      );
      const headers = await linkResponse!.allHeaders();
      expect(headers['referrer-policy']).toBe('no-referrer');
      expect(headers['cache-control']).toBe('no-store');
      expect(headers['content-security-policy']).toContain(
        "default-src 'none'",
      );
      expect(headers['content-security-policy']).toContain(
        "frame-ancestors 'none'",
      );

      // The inline stylesheet is allowed by the CSP (by its hash), so the page is styled, not bare.
      expect(
        await page.evaluate('getComputedStyle(document.body).backgroundColor'),
      ).toBe('rgb(245, 245, 247)');
      const screenshot = join(screenshotDir(), 'reset-form.png');
      await page.screenshot({ path: screenshot, fullPage: true });
      expect(statSync(screenshot).size).toBeGreaterThan(1000);

      // 5a. Two different passwords: the same form again, saying so.
      await page.fill('input[name=password]', NEW_PASSWORD);
      await page.fill('input[name=passwordConfirmation]', `${NEW_PASSWORD}!`);
      expect((await submit(page)).status()).toBe(400);
      expect(
        await page.$$eval('#problems li', (items) =>
          items.map((item) => (item.textContent ?? '').trim()),
        ),
      ).toEqual(['the two passwords differ']);
      expect(server.verifyPassword(USERNAME, OLD_PASSWORD)).toBe(true);

      // 5b. A weak password: the same form again, the problems listed, the link still in it.
      await page.fill('input[name=password]', WEAK_PASSWORD);
      await page.fill('input[name=passwordConfirmation]', WEAK_PASSWORD);
      const weakResponse = await submit(page);
      expect(weakResponse.status()).toBe(400);
      expect(await text(page, 'h1')).toBe('Choose a new password');
      const problems = await page.$$eval('#problems li', (items) =>
        items.map((item) => (item.textContent ?? '').trim()),
      );
      expect(problems.length).toBeGreaterThan(0);
      expect(problems[0]).toMatch(/too easy to guess/);
      expect(await page.inputValue('input[type=hidden][name=token]')).toBe(
        token,
      );
      expect(await page.inputValue('input[name=password]')).toBe(''); // the refused password is not sent back
      await page.screenshot({
        path: join(screenshotDir(), 'reset-form-problems.png'),
        fullPage: true,
      });
      expect(server.verifyPassword(USERNAME, OLD_PASSWORD)).toBe(true);
      expect(server.verifyPassword(USERNAME, WEAK_PASSWORD)).toBe(false);

      // 6. A strong password: "Password changed".
      await page.fill('input[name=password]', NEW_PASSWORD);
      await page.fill('input[name=passwordConfirmation]', NEW_PASSWORD);
      const doneResponse = await submit(page);
      expect(doneResponse.status()).toBe(200);
      expect(await page.title()).toBe('Password changed');
      expect(await text(page, 'h1')).toBe('Password changed');
      expect(await text(page, '#outcome')).toMatch(/Your password was changed/);

      // 7. The new password is the one stored; the old one no longer is.
      expect(server.verifyPassword(USERNAME, NEW_PASSWORD)).toBe(true);
      expect(server.verifyPassword(USERNAME, OLD_PASSWORD)).toBe(false);

      // 8. The same link again: spent, with a way to ask for a new one.
      const spentResponse = await page.goto(link);
      expect(await page.title()).toBe('This link no longer works');
      expect(await text(page, 'h1')).toBe('This link no longer works');
      expect(await text(page, '#outcome')).toMatch(
        /expired or was already used/,
      );
      expect(await page.$('input[name=password]')).toBeNull();
      const askAgain = await page.$('a[href="lostPassword"]');
      expect(askAgain).not.toBeNull();
      expect((await askAgain!.textContent())?.trim()).toBe(
        'Ask for a new link',
      );
      expect(spentResponse?.headers()['cache-control']).toBe('no-store');
      await Promise.all([
        page.waitForNavigation({ waitUntil: 'load' }),
        askAgain!.click(),
      ]);
      expect(page.url()).toBe(`${base}/auth/lostPassword`);
      expect(await text(page, 'h1')).toBe('Forgot your password?');

      // 9. The "your password was changed" notice, to the stored address.
      const mails = await smtp.waitForMails(EMAIL, 2, 15000);
      expect(mails).toHaveLength(2);
      expect(mails[1].parsed.subject).toMatch(/was changed/);
      expect(mails[1].parsed.text ?? '').not.toContain(token);

      expect(consoleErrors).toEqual([]);

      // Nothing the pages loaded came from anywhere but the server itself.
      expect(requestedUrls.length).toBeGreaterThan(0);
      for (const url of requestedUrls)
        expect(url.startsWith(`${base}/`)).toBe(true);

      // The server's output never shows the token, the link or a password.
      expect(server.output.length).toBeGreaterThan(0);
      // The token is a JWT: its claims and signature must not show up on their own either.
      // The raw random token it carries (the part whose hash is stored) must not either.
      const tokenParts = token
        .split('.')
        .slice(1)
        .filter((part) => part.length >= 16);
      const claims = JSON.parse(
        Buffer.from(token.split('.')[1], 'base64url').toString('utf8'),
      ) as Record<string, unknown>;
      const rawTokens = Object.values(claims).filter(
        (value): value is string =>
          typeof value === 'string' && value.length >= 32,
      );
      for (const secret of [
        token,
        link,
        ...tokenParts,
        ...rawTokens,
        OLD_PASSWORD,
        WEAK_PASSWORD,
        NEW_PASSWORD,
      ]) {
        expect(server.output).not.toContain(secret);
      }
    });
  },
);
