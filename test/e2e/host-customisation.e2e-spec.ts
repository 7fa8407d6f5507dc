import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Injectable } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import Handlebars from 'handlebars';
import request from 'supertest';
import {
  PasswordResetModule,
  PasswordResetModuleOptions,
  PasswordResetUser,
  PasswordResetUserStore,
} from '../../src';
import {
  MountedHost,
  mountedHost,
  startHostContext,
} from '../support/host-app';
import { testPlatforms } from '../support/platforms';
import { ReceivedMail, SmtpSink } from '../support/smtp-sink';

/** A host's users, each with the language of its profile (or none). */
@Injectable()
class LocalisedAccounts implements PasswordResetUserStore {
  readonly accounts = new Map<string, PasswordResetUser & { password: string }>(
    [
      {
        id: 'u-de',
        username: 'jürgen',
        email: 'juergen@host.example',
        locale: 'de_AT',
        password: 'alte Kupferkanne 2009',
      },
      {
        id: 'u-en',
        username: 'ann',
        email: 'ann@host.example',
        password: 'old copper kettle 2009',
      },
      {
        id: 'u-fr',
        username: 'amelie',
        email: 'amelie@host.example',
        locale: 'fr-CA',
        password: 'vieille bouilloire 2009',
      },
      {
        id: 'u-pt',
        username: 'joao',
        email: 'joao@host.example',
        locale: 'pt-BR',
        password: 'chaleira velha 2009',
      },
    ].map((account) => [account.id, account]),
  );

  async findByIdentifier(
    identifier: string,
  ): Promise<PasswordResetUser | null> {
    return (
      [...this.accounts.values()].find(
        (account) =>
          account.username === identifier || account.email === identifier,
      ) ?? null
    );
  }

  async findById(id: string): Promise<PasswordResetUser | null> {
    return this.accounts.get(id) ?? null;
  }

  async setPassword(id: string, newPassword: string): Promise<void> {
    this.accounts.get(id)!.password = newPassword;
  }
}

/** The host's own templates: a few of the module's file names, one in a language folder of its own. */
function writeHostTemplates(directory: string): void {
  writeFileSync(
    join(directory, 'reset-password.hbs'),
    '<p class="host-mail">{{t "mail.greeting" name=name}}</p><p><a href="{{resetUrl}}">{{t "mail.resetPassword.button"}}</a></p>',
  );
  writeFileSync(
    join(directory, 'reset-password.txt'),
    'HOST MAIL ({{language}})\n{{t "mail.greeting" name=name}}\n{{resetUrl}}\n{{t "mail.resetPassword.expiry" count=minutes}}\n',
  );
  mkdirSync(join(directory, 'de'));
  writeFileSync(
    join(directory, 'de', 'reset-password.txt'),
    'HOST-MAIL AUF DEUTSCH\n{{t "mail.greeting" name=name}}\n{{resetUrl}}\n{{t "mail.resetPassword.expiry" count=minutes}}\n',
  );
  writeFileSync(
    join(directory, 'lost-password-form.hbs'),
    '<div class="host-form"><form method="post" action="{{links.lostPassword}}"><label for="username">{{t "pages.lostPasswordForm.username"}}</label><input id="username" name="username"><button type="submit">{{t "pages.lostPasswordForm.submit"}}</button></form></div>',
  );
  writeFileSync(
    join(directory, 'page.css'),
    'body { background: rgb(1, 2, 3); }',
  );
}

const SPA_LINK = /https:\/\/app\.example\.com\/#\/reset\/([\w.-]+)/;
const NEW_PASSWORD = 'quiet lantern orbit 1987 meadow';

function spaTokenFrom(mail: ReceivedMail): string {
  const match = SPA_LINK.exec(mail.parsed.text ?? '');
  if (!match) throw new Error(`no app link in the mail:\n${mail.parsed.text}`);
  return match[1];
}

/** No text of the module's may ever show as its key. */
function expectNoMessageKeys(text: string): void {
  expect(text).not.toMatch(
    /\b(mail|pages|errors|validation|passwordPolicy)\.[a-zA-Z_]+/,
  );
}

describe.each(testPlatforms())(
  'a host that makes the module its own: paths, link, templates, languages (%s)',
  (platform) => {
    let host: MountedHost;
    let smtp: SmtpSink;
    const templates = mkdtempSync(join(tmpdir(), 'host-templates-'));
    const http = () => request(host.http);

    beforeAll(async () => {
      writeHostTemplates(templates);
      host = await mountedHost({
        platform,
        userStore: LocalisedAccounts,
        extras: {
          pages: true,
          routes: {
            prefix: 'account',
            lostPassword: 'forgot',
            resetPassword: 'reset',
          },
        },
        options: {
          resetUrl: undefined,
          resetLink: (token: string) =>
            `https://app.example.com/#/reset/${token}`,
          mail: { productName: 'Host' },
          templates: {
            directory: templates,
            functions: {
              'reset-done.hbs': ({ t }) =>
                `<p id="outcome" class="host-done">${Handlebars.escapeExpression(t('pages.resetDone.outcome'))}</p>`,
            },
          },
          messages: {
            en: {
              mail: { resetPassword: { subject: 'Your Host reset link' } },
            },
            // A language of the host's own, translated in part: the rest shows in English.
            fr: {
              pages: {
                lostPasswordForm: { title: 'Mot de passe oublié ?' },
              },
              mail: { greeting: 'Bonjour {{name}},' },
            },
          },
          rateLimit: {
            lostPasswordPerMinute: 0,
            resetPasswordPerMinute: 0,
          },
        },
      });
      smtp = host.smtp;
    });
    afterAll(async () => {
      await host?.close();
      rmSync(templates, { recursive: true, force: true });
    });

    it('serves its routes at the chosen paths only, JSON and form bodies alike', async () => {
      await http()
        .post('/account/forgot')
        .send({ username: 'nobody' })
        .expect(200, {});
      await http()
        .post('/account/forgot')
        .type('form')
        .send('username=nobody')
        .expect(200, {});
      await http().post('/account/forgot').send({}).expect(400, {
        statusCode: 400,
        error: 'Bad Request',
        message: 'username is required',
        code: 'invalid_request',
      });
      await http()
        .post('/account/reset/check')
        .send({ token: 'x' })
        .expect(400);
      await http()
        .post('/auth/lostPassword')
        .send({ username: 'nobody' })
        .expect(404);
      await http().get('/auth/lostPassword').expect(404);
    });

    it("puts its operations into the host's OpenAPI document at the chosen paths", () => {
      const document = SwaggerModule.createDocument(
        host.app,
        new DocumentBuilder().build(),
      );
      expect(Object.keys(document.paths)).toEqual(
        expect.arrayContaining([
          '/account/forgot',
          '/account/reset',
          '/account/reset/check',
        ]),
      );
      expect(document.paths['/account/forgot'].post?.operationId).toBe(
        'lost-password',
      );
      expect(document.paths['/auth/lostPassword']).toBeUndefined();
    });

    it("mails the host's link, built by its function, in the host's templates, and the reset works end to end at its paths", async () => {
      await http()
        .post('/account/forgot')
        .send({ username: 'ann' })
        .expect(200, {});
      const [mail] = await smtp.waitForMails('ann@host.example');
      expect(mail.parsed.subject).toBe('Your Host reset link');
      expect(mail.parsed.text).toMatch(
        /^HOST MAIL \(en\)\nHello ann,\nhttps:\/\/app\.example\.com\/#\/reset\/[\w.-]+\nThe link works once and expires in 30 minutes\./,
      );
      expect(mail.parsed.html).toContain('<p class="host-mail">Hello ann,</p>');
      expect(mail.parsed.html).toMatch(
        /<a href="https:\/\/app\.example\.com\/#\/reset\/[\w.-]+">Choose a new password<\/a>/,
      );
      expect(mail.parsed.text).not.toContain('?token=');

      const token = spaTokenFrom(mail);
      const check = await http()
        .post('/account/reset/check')
        .send({ token })
        .expect(200);
      expect(check.body.usable).toBe(true);
      const form = await http()
        .get(`/account/reset?token=${encodeURIComponent(token)}`)
        .expect(200);
      expect(form.text).toContain('<form method="post" action="reset">');
      await http()
        .post('/account/reset')
        .send({ token, password: NEW_PASSWORD })
        .expect(200, {});
      expect(
        host.app.get(LocalisedAccounts).accounts.get('u-en')!.password,
      ).toBe(NEW_PASSWORD);
      await http()
        .post('/account/reset')
        .send({ token, password: NEW_PASSWORD })
        .expect(400);
    });

    it("writes to a user in the user's language, from the host's template for that language, and falls back to the default for one it lacks", async () => {
      await http()
        .post('/account/forgot')
        .send({ username: 'jürgen' })
        .expect(200, {});
      const [german] = await smtp.waitForMails('juergen@host.example');
      expect(german.parsed.subject).toBe('Passwort für Host zurücksetzen');
      expect(german.parsed.headers.get('content-language')).toBe('de');
      expect(german.parsed.text).toMatch(
        /^HOST-MAIL AUF DEUTSCH\nHallo jürgen,\nhttps:\/\/app\.example\.com\/#\/reset\/[\w.-]+\nDer Link funktioniert einmal und läuft in 30 Minuten ab\./,
      );
      expect(german.parsed.html).toContain(
        '<p class="host-mail">Hallo jürgen,</p>',
      );
      expect(german.parsed.html).toContain('>Neues Passwort wählen</a>');

      await http()
        .post('/account/forgot')
        .send({ username: 'joao' })
        .expect(200, {});
      const [portuguese] = await smtp.waitForMails('joao@host.example');
      expect(portuguese.parsed.subject).toBe('Your Host reset link');
      expect(portuguese.parsed.text).toMatch(/^HOST MAIL \(en\)\nHello joao,/);

      // French is the host's own language, translated in part: its text where it has one, English for the rest, never a key.
      await http()
        .post('/account/forgot')
        .send({ username: 'amelie' })
        .expect(200, {});
      const [french] = await smtp.waitForMails('amelie@host.example');
      expect(french.parsed.text).toMatch(
        /^HOST MAIL \(fr\)\nBonjour amelie,\n/,
      );
      expect(french.parsed.subject).toBe('Your Host reset link');
      for (const mail of [german, portuguese, french])
        expectNoMessageKeys(
          `${mail.parsed.subject}\n${mail.parsed.text}\n${mail.parsed.html}`,
        );
    });

    it("sends the notice of a change in the user's language, from the module's template", async () => {
      await http()
        .post('/account/forgot')
        .send({ username: 'jürgen' })
        .expect(200, {});
      const mails = await smtp.waitForMails('juergen@host.example', 2);
      await http()
        .post('/account/reset')
        .send({ token: spaTokenFrom(mails[1]), password: NEW_PASSWORD })
        .expect(200, {});
      const [, , notice] = await smtp.waitForMails('juergen@host.example', 3);
      expect(notice.parsed.subject).toBe(
        'Ihr Passwort für Host wurde geändert',
      );
      expect(notice.parsed.text).toMatch(
        /Das Passwort für Host wurde am .+ über einen Link zum Zurücksetzen geändert\./,
      );
      expectNoMessageKeys(notice.parsed.text ?? '');
    });

    it("shows the pages in the language of Accept-Language, with the host's templates and stylesheet, and links at its paths", async () => {
      const german = await http()
        .get('/account/forgot')
        .set('Accept-Language', 'de-CH, de;q=0.9, en;q=0.5')
        .expect(200);
      expect(german.headers['content-language']).toBe('de');
      expect(german.text).toContain('<html lang="de">');
      expect(german.text).toContain('<title>Passwort vergessen?</title>');
      expect(german.text).toContain(
        '<div class="host-form"><form method="post" action="forgot"><label for="username">Benutzername oder E-Mail-Adresse</label>',
      );
      expect(german.text).toContain(
        '<style>body { background: rgb(1, 2, 3); }</style>',
      );
      expect(german.headers['content-security-policy']).toContain(
        "style-src 'sha256-",
      );

      const french = await http()
        .get('/account/forgot')
        .set('Accept-Language', 'fr-FR,fr;q=0.9')
        .expect(200);
      expect(french.text).toContain('<title>Mot de passe oublié ?</title>');
      expect(french.text).toContain('Username or e-mail address');
      expectNoMessageKeys(french.text);

      const unknown = await http()
        .get('/account/forgot')
        .set('Accept-Language', 'ja')
        .expect(200);
      expect(unknown.headers['content-language']).toBe('en');
      expect(unknown.text).toContain('<title>Forgot your password?</title>');

      const sent = await http()
        .post('/account/forgot')
        .set('Accept', 'text/html')
        .set('Accept-Language', 'de')
        .type('form')
        .send('username=nobody')
        .expect(200);
      expect(sent.text).toContain('<title>Sehen Sie in Ihr Postfach</title>');
      expect(sent.text).toContain('<a href="forgot">fragen Sie erneut</a>');
      const invalid = await http()
        .get('/account/reset?token=nonsense')
        .set('Accept-Language', 'de')
        .expect(200);
      expect(invalid.text).toContain('Dieser Link funktioniert nicht mehr');
      expect(invalid.text).toContain(
        '<a href="forgot">Neuen Link anfordern</a>',
      );
    });

    it('tells errors a person reads in their language, with the same codes', async () => {
      const missing = await http()
        .post('/account/forgot')
        .set('Accept-Language', 'de')
        .send({})
        .expect(400);
      expect(missing.body).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        message: 'username fehlt',
        code: 'invalid_request',
      });
      const token = await http()
        .post('/account/reset/check')
        .set('Accept-Language', 'de')
        .send({ token: 'x' })
        .expect(400);
      expect(token.body).toMatchObject({
        code: 'invalid_token',
        message:
          'dieser Link oder Code zum Zurücksetzen ist ungültig, abgelaufen oder wurde schon benutzt',
      });

      await http()
        .post('/account/forgot')
        .send({ username: 'amelie' })
        .expect(200, {});
      const [, mail] = await smtp.waitForMails('amelie@host.example', 2);
      const weak = await http()
        .post('/account/reset')
        .set('Accept-Language', 'de')
        .send({ token: spaTokenFrom(mail), password: 'password123' })
        .expect(400);
      expect(weak.body.code).toBe('weak_password');
      expect(weak.body.reasons[0]).toBe(
        'das Passwort ist zu leicht zu erraten',
      );
      const page = await http()
        .post('/account/reset')
        .set('Accept', 'text/html')
        .set('Accept-Language', 'de')
        .type('form')
        .send({
          token: spaTokenFrom(mail),
          password: 'quiet lantern',
          passwordConfirmation: 'other lantern',
        })
        .expect(400);
      expect(page.text).toContain(
        '<li>die beiden Passwörter stimmen nicht überein</li>',
      );
      expect(page.text).toContain('<form method="post" action="reset">');
      expect(page.text).toContain('Mindestens 8 Zeichen.');

      const done = await http()
        .post('/account/reset')
        .set('Accept', 'text/html')
        .set('Accept-Language', 'de')
        .type('form')
        .send({ token: spaTokenFrom(mail), password: NEW_PASSWORD })
        .expect(200);
      expect(done.text).toContain(
        '<p id="outcome" class="host-done">Ihr Passwort wurde geändert. Sie können sich jetzt damit anmelden.</p>',
      );
    });
  },
);

describe('the module refuses a language or template directory it does not have', () => {
  const attempt = (overrides: Partial<PasswordResetModuleOptions>) =>
    startHostContext(overrides);

  it('such as a default language without texts, a missing directory, two routes at one path, or no link at all', async () => {
    await expect(attempt({ defaultLanguage: 'fr' })).rejects.toThrow(
      /defaultLanguage fr has no messages/,
    );
    await expect(
      attempt({ templates: { directory: '/nonexistent/templates' } }),
    ).rejects.toThrow(/templates.directory .* does not exist/);
    await expect(attempt({ resetUrl: undefined })).rejects.toThrow(
      /resetUrl or resetLink is required/,
    );
    expect(() =>
      PasswordResetModule.forRoot({
        routes: { lostPassword: 'same', resetPassword: 'Same' },
      } as never),
    ).toThrow(/two different, non-empty paths/);
    const german = await attempt({ defaultLanguage: 'de' });
    await german.close();
  });
});
