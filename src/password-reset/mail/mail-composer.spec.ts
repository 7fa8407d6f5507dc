import { createHmac } from 'node:crypto';
import { PasswordResetTranslator } from '../i18n/password-reset-translator';
import type { PasswordResetModuleOptions } from '../interfaces/password-reset-module-options.interface';
import type { PasswordResetTemplateContext } from '../interfaces/password-reset-templates.interface';
import type { PasswordResetUser } from '../interfaces/password-reset-user-store.interface';
import { PasswordResetTemplates } from '../rendering/password-reset-templates';
import type { IssuedResetToken } from '../tokens/reset-token.service';
import { MailComposer } from './mail-composer';
import type { OutboxMail } from './outbox-mail.entity';
import {
  resolvedOptions,
  TEST_JWT_SECRET,
} from '../../../test/support/module-options';

const NOW = Date.UTC(2026, 10, 27, 12);
const MARGARET: PasswordResetUser = {
  id: '1',
  username: 'margaret',
  email: 'margaret@example.com',
};
const GRACE: PasswordResetUser = {
  id: '2',
  email: 'grace@example.com',
  locale: 'de-AT',
};

const queued = (id: number, kind: OutboxMail['kind']) =>
  ({ id, kind, userId: '1', createdAt: NOW - 60_000 }) as OutboxMail;
const tokenFor = (
  secondsLeft: number,
  purpose: IssuedResetToken['purpose'] = 'reset',
): IssuedResetToken => ({
  tokenId: 'token-id',
  purpose,
  link: 'eyJ.the-link.sig',
  expiresAt: NOW + secondsLeft * 1000,
});

describe('MailComposer', () => {
  /** A composer whose text parts show what each template was given. */
  const composerWith = (given: Partial<PasswordResetModuleOptions> = {}) => {
    const options = resolvedOptions({
      resetUrl: 'https://app.example.test/reset?from=mail',
      mail: { from: 'Password Reset <no-reply@mail.example.test>' },
      templates: {
        functions: {
          'reset-password.txt': contextOf,
          'password-changed.txt': contextOf,
        },
      },
      ...given,
    });
    const translator = new PasswordResetTranslator(options);
    return new MailComposer(
      options,
      { now: () => NOW },
      translator,
      new PasswordResetTemplates(options, translator),
    );
  };
  // `t`, a function, is left out of JSON.
  const contextOf = (context: PasswordResetTemplateContext) =>
    JSON.stringify(context);
  const givenTo = (text: string) => JSON.parse(text) as Record<string, unknown>;

  it('writes a reset mail to the stored address, with the link to resetUrl and how long it works', () => {
    const mail = composerWith().compose(
      queued(7, 'reset-password'),
      MARGARET,
      tokenFor(30 * 60),
    );
    expect(mail).toMatchObject({
      to: 'margaret@example.com',
      subject: 'Reset your password for your account',
      language: 'en',
    });
    expect(givenTo(mail.text)).toEqual({
      name: 'margaret',
      productName: 'your account',
      resetUrl:
        'https://app.example.test/reset?from=mail&token=eyJ.the-link.sig',
      expiresIn: { count: 30, unit: 'minutes' },
      minutes: 30,
      language: 'en',
    });
    expect(mail.html).toContain('token&#x3D;eyJ.the-link.sig');
  });

  it("writes an invitation with its own subject and wording, in the user's language, its lifetime in hours from two hours", () => {
    const composer = composerWith();
    const invitation = composer.compose(
      queued(7, 'reset-password'),
      MARGARET,
      tokenFor(72 * 3600, 'invite'),
    );
    expect(invitation.subject).toBe('Set your password for your account');
    expect(invitation.html).toContain('You were invited to your account.');
    expect(invitation.html).toContain(
      'The link works once and expires in 72 hours.',
    );
    const inGerman = composer.compose(
      queued(8, 'reset-password'),
      GRACE,
      tokenFor(2 * 3600 - 1, 'invite'),
    );
    expect(inGerman.subject).toBe('Legen Sie Ihr Passwort für Ihr Konto fest');
    expect(inGerman.text).toContain(
      'Der Link funktioniert einmal und läuft in 119 Minuten ab.',
    );
    expect(
      composer.compose(queued(9, 'reset-password'), GRACE, tokenFor(7200)).html,
    ).toContain('Der Link funktioniert einmal und läuft in 2 Stunden ab.');
  });

  it('says how long the link works in seconds under two minutes, else in whole minutes rounded down, never 0', () => {
    const composer = composerWith();
    const expiry = (secondsLeft: number) =>
      givenTo(
        composer.compose(
          queued(7, 'reset-password'),
          MARGARET,
          tokenFor(secondsLeft),
        ).text,
      );
    expect(expiry(119)).toMatchObject({
      expiresIn: { count: 119, unit: 'seconds' },
      minutes: 1,
    });
    expect(expiry(120)).toMatchObject({
      expiresIn: { count: 2, unit: 'minutes' },
    });
    expect(expiry(179)).toMatchObject({
      expiresIn: { count: 2, unit: 'minutes' },
    });
    expect(expiry(0.2)).toMatchObject({
      expiresIn: { count: 1, unit: 'seconds' },
      minutes: 0,
    });
  });

  it("puts the host's own link in the mail where it has one", () => {
    const mail = composerWith({
      resetUrl: undefined,
      resetLink: (token, user) =>
        `https://spa.example.test/#/reset/${user.id}/${token}`,
    }).compose(queued(7, 'reset-password'), MARGARET, tokenFor(60));
    expect(givenTo(mail.text).resetUrl).toBe(
      'https://spa.example.test/#/reset/1/eyJ.the-link.sig',
    );
  });

  it('tells of a changed password with the time of the change, and carries no link', () => {
    const mail = composerWith({ mail: { productName: 'Acme' } }).compose(
      queued(7, 'password-changed'),
      MARGARET,
    );
    expect(mail.subject).toBe('Your password for Acme was changed');
    expect(givenTo(mail.text)).toEqual({
      name: 'margaret',
      productName: 'Acme',
      changedAt: 'November 27, 2026 at 11:59 AM',
      language: 'en',
    });
    expect(mail.html).not.toContain('token');
  });

  it('puts the code beside the link in both parts, in English and German, and says nothing of a code when there is none', () => {
    const composer = composerWith({ templates: {} });
    const withCode = { ...tokenFor(30 * 60), code: '004711' };
    const english = composer.compose(
      queued(7, 'reset-password'),
      MARGARET,
      withCode,
    );
    const german = composer.compose(
      queued(8, 'reset-password'),
      GRACE,
      withCode,
    );
    for (const [mail, lead] of [
      [english, 'enter this code with your username or e-mail address:'],
      [german, 'geben Sie diesen Code mit Ihrem Benutzernamen'],
    ] as const) {
      expect(mail.text).toMatch(/^004711$/m);
      expect(mail.text).toContain(lead);
      expect(mail.text).toContain('token=eyJ.the-link.sig');
      expect(mail.html).toContain('<strong>004711</strong>');
      expect(mail.html).toContain(lead);
    }
    const linkOnly = composer.compose(
      queued(9, 'reset-password'),
      MARGARET,
      tokenFor(30 * 60),
    );
    expect(linkOnly.text).not.toContain('code');
    expect(linkOnly.html).not.toContain('code');
  });

  it("writes in the user's language, and names a user without a username by address", () => {
    const mail = composerWith({ templates: {} }).compose(
      queued(7, 'password-changed'),
      GRACE,
    );
    expect(mail.language).toBe('de');
    expect(mail.subject).toContain('Passwort');
    expect(mail.text).toContain('grace@example.com');
  });

  it('gives each queued mail a Message-ID of its own, the same on every attempt, keyed with the secret, at the sender’s domain', () => {
    const composer = composerWith();
    const messageIdOf = (id: number) =>
      composer.compose(queued(id, 'password-changed'), MARGARET).messageId;
    const keyed = createHmac('sha256', TEST_JWT_SECRET)
      .update('outbox-mail:7')
      .digest('base64url');
    expect(messageIdOf(7)).toBe(`<${keyed}@mail.example.test>`);
    expect(messageIdOf(7)).toBe(messageIdOf(7));
    expect(messageIdOf(8)).not.toBe(messageIdOf(7));
    expect(
      composerWith({ mail: { from: 'no-reply' } }).compose(
        queued(7, 'password-changed'),
        MARGARET,
      ).messageId,
    ).toBe(`<${keyed}@localhost>`);
  });
});
