import { Injectable } from '@nestjs/common';
import { EventEmitter2, EventEmitterModule } from '@nestjs/event-emitter';
import request from 'supertest';
import {
  PasswordResetEvents,
  PasswordResetRefusedEvent,
  PasswordResetUser,
  PasswordResetUserStore,
} from '../../src';
import { eventually } from '../support/eventually';
import { MountedHost, mountedHost } from '../support/host-app';
import { testPlatforms } from '../support/platforms';
import { SmtpSink, tokenFrom } from '../support/smtp-sink';

const CODE = '246810';

/** Kim has a second factor (a fixed code, standing in for TOTP); Lee has none. */
@Injectable()
class AccountsWithSecondFactor implements PasswordResetUserStore {
  readonly passwords = new Map<string, string>();
  readonly verified: { userId: string; code: string }[] = [];
  private readonly users: PasswordResetUser[] = [
    { id: 'u-kim', username: 'kim', email: 'kim@host.example' },
    { id: 'u-lee', username: 'lee', email: 'lee@host.example' },
  ];

  readonly secondFactor = {
    required: async (user: PasswordResetUser) => user.id === 'u-kim',
    verify: async (user: PasswordResetUser, code: string) => {
      this.verified.push({ userId: user.id, code });
      return code === CODE;
    },
  };

  async findByIdentifier(
    identifier: string,
  ): Promise<PasswordResetUser | null> {
    return this.users.find((user) => user.username === identifier) ?? null;
  }

  async findById(id: string): Promise<PasswordResetUser | null> {
    return this.users.find((user) => user.id === id) ?? null;
  }

  async setPassword(id: string, newPassword: string): Promise<void> {
    this.passwords.set(id, newPassword);
  }

  async endSessions(): Promise<void> {}
}

describe.each(testPlatforms())(
  'a host whose users may have a second factor (%s)',
  (platform) => {
    let host: MountedHost;
    let smtp: SmtpSink;
    let accounts: AccountsWithSecondFactor;
    const refusals: PasswordResetRefusedEvent[] = [];
    const post = (path: string) => host.post(path);

    beforeAll(async () => {
      host = await mountedHost({
        platform,
        userStore: AccountsWithSecondFactor,
        imports: [EventEmitterModule.forRoot()],
        extras: { pages: true },
        options: {
          // Kim asks for a link, and guesses codes, in most tests here: the limits are not the subject.
          accountLimit: { max: 100, windowMs: 60 * 60 * 1000 },
          rateLimit: { lostPasswordPerMinute: 0, resetPasswordPerMinute: 0 },
        },
      });
      smtp = host.smtp;
      accounts = host.app.get(AccountsWithSecondFactor);
      host.app
        .get(EventEmitter2)
        .on(PasswordResetEvents.refused, (event: PasswordResetRefusedEvent) =>
          refusals.push(event),
        );
    });
    afterAll(() => host.close());

    async function resetToken(username: string): Promise<string> {
      const email = `${username}@host.example`;
      const before = smtp.mailsTo(email).length;
      await post('/auth/lostPassword').send({ username }).expect(200, {});
      // A "password changed" notice of an earlier test may arrive first.
      const withLink = () =>
        smtp
          .mailsTo(email)
          .slice(before)
          .find((mail) => /[?&]token=/.test(mail.parsed.text ?? ''));
      await eventually(async () => expect(withLink()).toBeDefined(), 10_000);
      return tokenFrom(withLink()!);
    }

    it('says in the check that the link needs a second factor, only for a usable link of a user who has one', async () => {
      const kims = await resetToken('kim');
      const check = await post('/auth/resetPassword/check')
        .send({ token: kims })
        .expect(200);
      expect(check.body).toEqual({
        usable: true,
        expiresAt: expect.any(String),
        purpose: 'reset',
        secondFactorRequired: true,
      });
      const lees = await post('/auth/resetPassword/check')
        .send({ token: await resetToken('lee') })
        .expect(200);
      expect(lees.body).toEqual({
        usable: true,
        expiresAt: expect.any(String),
        purpose: 'reset',
      });
      const invalid = await post('/auth/resetPassword/check')
        .send({ token: 'not-a-token' })
        .expect(400);
      expect(invalid.body).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        code: 'invalid_token',
        message: expect.any(String),
      });
    });

    it('refuses a reset without the code (second_factor_required) and with a wrong one (invalid_second_factor), the link staying usable; takes the right one', async () => {
      const token = await resetToken('kim');
      const password = 'quiet lantern orbit 1987 meadow';
      const missing = await post('/auth/resetPassword')
        .send({ token, password })
        .expect(400);
      expect(missing.body).toMatchObject({
        statusCode: 400,
        code: 'second_factor_required',
        message:
          'this account has a second factor: enter its code to set a new password',
      });
      const wrong = await post('/auth/resetPassword')
        .send({ token, password, secondFactorCode: '135790' })
        .expect(400);
      expect(wrong.body).toMatchObject({
        statusCode: 400,
        code: 'invalid_second_factor',
        message: 'the code of your second factor is wrong',
      });
      expect(accounts.passwords.has('u-kim')).toBe(false);
      await post('/auth/resetPassword/check').send({ token }).expect(200);

      await post('/auth/resetPassword')
        .send({ token, password, secondFactorCode: CODE })
        .expect(200, {});
      expect(accounts.passwords.get('u-kim')).toBe(password);
      expect(accounts.verified.slice(-2)).toEqual([
        { userId: 'u-kim', code: '135790' },
        { userId: 'u-kim', code: CODE },
      ]);
      await eventually(async () => {
        expect(refusals.map((event) => event.reason)).toEqual(
          expect.arrayContaining([
            'second_factor_required',
            'invalid_second_factor',
          ]),
        );
      }, 5_000);
    });

    async function expectDeadLink(token: string) {
      const reset = await post('/auth/resetPassword')
        .send({
          token,
          password: 'quiet lantern orbit 1987 meadow',
          secondFactorCode: CODE,
        })
        .expect(400);
      expect(reset.body).toMatchObject({
        statusCode: 400,
        code: 'invalid_token',
      });
      expect(
        (await post('/auth/resetPassword/check').send({ token }).expect(400))
          .body,
      ).toMatchObject({ code: 'invalid_token' });
      expect(
        (await request(host.http).get(`/auth/resetPassword?token=${token}`))
          .text,
      ).toContain('This link no longer works');
      expect(accounts.passwords.has('u-kim')).toBe(false);
    }

    it('counts each wrong code against the link: after five, even the right code is refused and the link is dead', async () => {
      accounts.passwords.delete('u-kim');
      const token = await resetToken('kim');
      for (let i = 0; i < 5; i++) {
        const wrong = await post('/auth/resetPassword')
          .send({
            token,
            password: 'quiet lantern orbit 1987 meadow',
            secondFactorCode: `10000${i}`,
          })
          .expect(400);
        expect(wrong.body).toMatchObject({ code: 'invalid_second_factor' });
      }
      const verifiedBefore = accounts.verified.length;
      await expectDeadLink(token);
      expect(accounts.verified.length).toBe(verifiedBefore);
    });

    it('checks at most five of twenty wrong codes sent at once, and the link is dead after them', async () => {
      accounts.passwords.delete('u-kim');
      const token = await resetToken('kim');
      const verifiedBefore = accounts.verified.length;
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          post('/auth/resetPassword').send({
            token,
            password: 'quiet lantern orbit 1987 meadow',
            secondFactorCode: String(200000 + i),
          }),
        ),
      );
      const codes = answers.map((answer) => answer.body.code).sort();
      expect(codes).toEqual([
        ...Array(5).fill('invalid_second_factor'),
        ...Array(15).fill('invalid_token'),
      ]);
      expect(accounts.verified.length - verifiedBefore).toBe(5);
      await expectDeadLink(token);
    });

    it('counts only wrong codes: after four, a right code with a weak password can be sent again and again, and then sets a good one', async () => {
      accounts.passwords.delete('u-kim');
      const token = await resetToken('kim');
      for (let i = 0; i < 4; i++)
        await post('/auth/resetPassword')
          .send({
            token,
            password: 'quiet lantern orbit 1987 meadow',
            secondFactorCode: `30000${i}`,
          })
          .expect(400);
      for (let i = 0; i < 3; i++) {
        const weak = await post('/auth/resetPassword')
          .send({ token, password: 'password123', secondFactorCode: CODE })
          .expect(400);
        expect(weak.body).toMatchObject({ code: 'weak_password' });
      }
      await post('/auth/resetPassword')
        .send({
          token,
          password: 'quiet lantern orbit 1987 meadow',
          secondFactorCode: CODE,
        })
        .expect(200, {});
      expect(accounts.passwords.get('u-kim')).toBe(
        'quiet lantern orbit 1987 meadow',
      );
    });

    it('asks nothing of a user without a second factor, and refuses an empty code as bad input', async () => {
      const token = await resetToken('lee');
      const empty = await post('/auth/resetPassword')
        .send({
          token,
          password: 'amber lighthouse saddle 1977',
          secondFactorCode: '',
        })
        .expect(400);
      expect(empty.body).toMatchObject({
        code: 'invalid_request',
        message: 'secondFactorCode must not be empty',
      });
      await post('/auth/resetPassword')
        .send({ token, password: 'amber lighthouse saddle 1977' })
        .expect(200, {});
      expect(accounts.passwords.get('u-lee')).toBe(
        'amber lighthouse saddle 1977',
      );
    });

    it("asks for the code on the reset page, and keeps asking when a browser's post lacks it or has it wrong", async () => {
      const field =
        /<input id="secondFactorCode" name="secondFactorCode"[^>]*autocomplete="one-time-code"/;
      const kims = await resetToken('kim');
      expect(
        (
          await request(host.http)
            .get(`/auth/resetPassword?token=${kims}`)
            .expect(200)
        ).text,
      ).toMatch(field);
      const lees = await resetToken('lee');
      expect(
        (
          await request(host.http)
            .get(`/auth/resetPassword?token=${lees}`)
            .expect(200)
        ).text,
      ).not.toContain('secondFactorCode');

      const form = (fields: Record<string, string>) =>
        post('/auth/resetPassword')
          .set('Accept', 'text/html')
          .type('form')
          .send(fields);
      const fields = {
        token: kims,
        password: 'violet kettle drums at noon',
        passwordConfirmation: 'violet kettle drums at noon',
      };
      const missing = await form(fields).expect(400);
      expect(missing.text).toMatch(field);
      expect(missing.text).toContain(
        'this account has a second factor: enter its code to set a new password',
      );
      const wrong = await form({ ...fields, secondFactorCode: '000000' })
        .set('Accept-Language', 'de')
        .expect(400);
      expect(wrong.text).toMatch(field);
      expect(wrong.text).toContain('der Code Ihres zweiten Faktors ist falsch');
      const weak = await form({
        token: kims,
        password: 'password123',
        passwordConfirmation: 'password123',
        secondFactorCode: CODE,
      }).expect(400);
      expect(weak.text).toMatch(field);
      await form({ ...fields, secondFactorCode: CODE }).expect(200);
      expect(accounts.passwords.get('u-kim')).toBe(
        'violet kettle drums at noon',
      );
    });
  },
);
