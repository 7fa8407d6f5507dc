import { Injectable } from '@nestjs/common';
import { EventEmitterModule, OnEvent } from '@nestjs/event-emitter';
import {
  PasswordChangedEvent,
  PasswordResetEvents,
  PasswordResetUser,
  PasswordResetUserStore,
} from '../../src';
import { MountedHost, mountedHost } from '../support/host-app';
import { testPlatforms } from '../support/platforms';
import { tokenFrom } from '../support/smtp-sink';

const OLD_PASSWORD = 'old copper kettle 2009';
const NEW_PASSWORD = 'quiet lantern orbit 1987 meadow';

/** A host whose session store fails when it is asked to end a user's sessions. */
@Injectable()
class AccountsWithFailingSessions implements PasswordResetUserStore {
  password = OLD_PASSWORD;
  sessions = ['session-1', 'session-2'];

  async findByIdentifier(
    identifier: string,
  ): Promise<PasswordResetUser | null> {
    return identifier === 'mia'
      ? { id: 'u-1', username: 'mia', email: 'mia@host.example' }
      : null;
  }

  async findById(id: string): Promise<PasswordResetUser | null> {
    return id === 'u-1'
      ? { id, username: 'mia', email: 'mia@host.example' }
      : null;
  }

  async setPassword(_id: string, newPassword: string): Promise<void> {
    this.password = newPassword;
  }

  // Without suppressErrors: false, @nestjs/event-emitter logs a listener's error itself and the module never learns of it.
  @OnEvent(PasswordResetEvents.passwordChanged, { suppressErrors: false })
  signOutEverywhere(_event: PasswordChangedEvent): void {
    throw new Error('session store unreachable');
  }
}

describe.each(testPlatforms())(
  'a password-changed listener that fails (%s)',
  (platform) => {
    let host: MountedHost;
    let accounts: AccountsWithFailingSessions;
    afterEach(() => host.close());

    async function startHost(failRequestOnListenerError: boolean) {
      host = await mountedHost({
        platform,
        userStore: AccountsWithFailingSessions,
        imports: [EventEmitterModule.forRoot()],
        options: { events: { failRequestOnListenerError } },
      });
      accounts = host.app.get(AccountsWithFailingSessions);
    }

    async function resetToken(): Promise<string> {
      const before = host.smtp.mailsTo('mia@host.example').length;
      await host
        .post('/auth/lostPassword')
        .send({ username: 'mia' })
        .expect(200, {});
      const mails = await host.smtp.waitForMails(
        'mia@host.example',
        before + 1,
      );
      return tokenFrom(mails[before]);
    }

    /** The "your password was changed" notice arrives whatever the listener did: it was queued with the change. */
    async function expectNoticeAfter(mailsBefore: number): Promise<void> {
      const mails = await host.smtp.waitForMails(
        'mia@host.example',
        mailsBefore + 1,
      );
      expect(mails[mailsBefore].parsed.subject).toMatch(/was changed/);
    }

    it('by default is logged as an error with the user, and the reset answers 200: the password was changed', async () => {
      await startHost(false);
      const token = await resetToken();
      const mailsBefore = host.smtp.mailsTo('mia@host.example').length;
      await host
        .post('/auth/resetPassword')
        .send({ token, password: NEW_PASSWORD })
        .expect(200, {});
      expect(accounts.password).toBe(NEW_PASSWORD);
      const failures = host.logs.lines.filter(
        (line) =>
          line.startsWith('error') &&
          line.includes(PasswordResetEvents.passwordChanged),
      );
      expect(failures).toHaveLength(1);
      expect(failures[0]).toContain('for user u-1');
      expect(failures[0]).toContain('session store unreachable');
      await expectNoticeAfter(mailsBefore);
    });

    it('with failRequestOnListenerError answers 500 sessions_not_ended, saying the password was changed and the link is spent, which it is', async () => {
      await startHost(true);
      const token = await resetToken();
      const mailsBefore = host.smtp.mailsTo('mia@host.example').length;
      const failed = await host
        .post('/auth/resetPassword')
        .send({ token, password: NEW_PASSWORD })
        .expect(500);
      expect(failed.body).toEqual({
        statusCode: 500,
        error: 'Internal Server Error',
        code: 'sessions_not_ended',
        message: expect.stringMatching(
          /^your password was changed and this link is used up, but your other sessions could not be ended/,
        ),
      });
      expect(accounts.password).toBe(NEW_PASSWORD);
      expect(
        host.logs.lines.filter(
          (line) => line.startsWith('error') && line.includes('for user u-1'),
        ),
      ).toHaveLength(1);
      await expectNoticeAfter(mailsBefore);
      // Exactly as the message says: the link cannot be used again, and no second change happens.
      const again = await host
        .post('/auth/resetPassword')
        .send({ token, password: 'another quiet lantern 2024' })
        .expect(400);
      expect(again.body.code).toBe('invalid_token');
      expect(accounts.password).toBe(NEW_PASSWORD);

      // A browser's form post gets a page saying the same, in the reader's language.
      const page = await host
        .post('/auth/resetPassword')
        .set('Accept', 'text/html')
        .set('Accept-Language', 'de')
        .type('form')
        .send({
          token: await resetToken(),
          password: 'third quiet lantern 2025',
        })
        .expect(500);
      expect(page.text).toContain(
        'Ihr Passwort wurde geändert und dieser Link ist verbraucht, aber Ihre anderen Sitzungen konnten nicht beendet werden',
      );
      expect(accounts.password).toBe('third quiet lantern 2025');
    });
  },
);
