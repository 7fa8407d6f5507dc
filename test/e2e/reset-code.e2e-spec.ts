import { Injectable } from '@nestjs/common';
import request from 'supertest';
import { PasswordResetUser, PasswordResetUserStore } from '../../src';
import { ResetToken } from '../../src/password-reset/tokens/reset-token.entity';
import { newUser, requestMail } from '../support/flow';
import { startTestServer, TestServer } from '../support/harness';
import { MountedHost, mountedHost } from '../support/host-app';
import { testPlatforms, testPlatformsAndDatabases } from '../support/platforms';
import { codeFrom, ReceivedMail, tokenFrom } from '../support/smtp-sink';

const NEW_PASSWORD = 'quiet lantern orbit 1987 meadow';

/** A code of six digits other than `code`. */
function wrongCode(code: string, i = 0): string {
  return String((Number(code) + 1 + i) % 1_000_000).padStart(6, '0');
}

describe.each(testPlatformsAndDatabases())(
  'reset by code (%s, %s)',
  (platform, databaseKind) => {
    let server: TestServer;

    beforeAll(async () => {
      server = await startTestServer(platform, databaseKind, {
        env: { RESET_CODE_DIGITS: '6' },
      });
    });
    afterAll(() => server.close());

    const post = (path: string) => request(server.http).post(path);
    const resetWithCode = (username: string, code: string) =>
      post('/auth/resetPassword').send({
        username,
        code,
        password: NEW_PASSWORD,
      });
    const failedCodesOf = async (mail: ReceivedMail) => {
      const jti = JSON.parse(
        Buffer.from(tokenFrom(mail).split('.')[1], 'base64url').toString(),
      ).jti;
      return (
        await server.dataSource
          .getRepository(ResetToken)
          .findOneByOrFail({ id: jti })
      ).failedCodes;
    };
    const expectInvalidToken = (res: request.Response) =>
      expect({ status: res.status, body: res.body }).toEqual({
        status: 400,
        body: {
          statusCode: 400,
          error: 'Bad Request',
          code: 'invalid_token',
          message:
            'this reset link or code is invalid, has expired or was already used',
        },
      });

    it('puts a code of six digits, one run without separators, beside the link in both parts of the mail, and stores only its keyed hash', async () => {
      const user = await newUser(server);
      const mail = await requestMail(server, user.username, user.email);
      const code = codeFrom(mail);
      expect(code).toMatch(/^[0-9]{6}$/);
      expect(mail.parsed.text).toContain(tokenFrom(mail));
      expect(mail.parsed.html).toContain(`<strong>${code}</strong>`);
      const rows = await server.dataSource.getRepository(ResetToken).find();
      const row = rows.find((token) => token.codeHash !== null)!;
      expect(row.codeHash).toMatch(/^[0-9a-f]{64}$/);
      expect(JSON.stringify(rows)).not.toContain(code);
    });

    it('resets with the username and the code, and then neither the code nor the link works', async () => {
      const user = await newUser(server);
      const mail = await requestMail(server, user.username, user.email);
      await resetWithCode(user.username, codeFrom(mail)).expect(200, {});
      expect(await server.users.verify(user.username, NEW_PASSWORD)).toBe(true);
      expectInvalidToken(await resetWithCode(user.username, codeFrom(mail)));
      expectInvalidToken(
        await post('/auth/resetPassword').send({
          token: tokenFrom(mail),
          password: 'another quiet lantern 2001',
        }),
      );
    });

    it('takes the address instead of the username, in any case, from a form with the password twice', async () => {
      const user = await newUser(server);
      const mail = await requestMail(server, user.username, user.email);
      await post('/auth/resetPassword')
        .type('form')
        .send({
          username: `  ${user.email.toUpperCase()}`,
          code: codeFrom(mail),
          password: NEW_PASSWORD,
          passwordConfirmation: NEW_PASSWORD,
        })
        .expect(200, {});
      expect(await server.users.verify(user.username, NEW_PASSWORD)).toBe(true);
    });

    it('refuses the code once the link was used', async () => {
      const user = await newUser(server);
      const mail = await requestMail(server, user.username, user.email);
      await post('/auth/resetPassword')
        .send({ token: tokenFrom(mail), password: NEW_PASSWORD })
        .expect(200, {});
      expectInvalidToken(await resetWithCode(user.username, codeFrom(mail)));
    });

    it('kills the code and the link of a mail when a newer one is asked for; the newer code works', async () => {
      const user = await newUser(server);
      const older = await requestMail(server, user.username, user.email);
      const newer = await requestMail(server, user.username, user.email);
      expect(codeFrom(newer)).not.toBe(codeFrom(older));
      expectInvalidToken(await resetWithCode(user.username, codeFrom(older)));
      expectInvalidToken(
        await post('/auth/resetPassword/check').send({
          token: tokenFrom(older),
        }),
      );
      await resetWithCode(user.username, codeFrom(newer)).expect(200, {});
    });

    it('checks a code: a right one spends nothing, a wrong one counts, and after five wrong ones the reset is dead, its link included', async () => {
      const user = await newUser(server);
      const mail = await requestMail(server, user.username, user.email);
      const code = codeFrom(mail);
      const check = (code: string) =>
        post('/auth/resetPassword/check').send({
          username: user.username,
          code,
        });
      for (let i = 0; i < 3; i++)
        expect((await check(code).expect(200)).body).toEqual({
          usable: true,
          expiresAt: expect.any(String),
          purpose: 'reset',
        });
      for (let i = 0; i < 4; i++)
        expectInvalidToken(await check(wrongCode(code, i)));
      expect(await failedCodesOf(mail)).toBe(4);
      await check(code).expect(200);
      expect(await failedCodesOf(mail)).toBe(4);
      expectInvalidToken(await resetWithCode(user.username, wrongCode(code)));
      expectInvalidToken(await check(code));
      expectInvalidToken(await resetWithCode(user.username, code));
      expectInvalidToken(
        await post('/auth/resetPassword/check').send({
          token: tokenFrom(mail),
        }),
      );
      expectInvalidToken(
        await post('/auth/resetPassword').send({
          token: tokenFrom(mail),
          password: NEW_PASSWORD,
        }),
      );
      expect(await server.users.verify(user.username, user.password)).toBe(
        true,
      );
    });

    it('buys no more than five guesses with twenty wrong codes sent at once; then the right code and the link are refused', async () => {
      const user = await newUser(server);
      const mail = await requestMail(server, user.username, user.email);
      const code = codeFrom(mail);
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          i % 2 === 0
            ? resetWithCode(user.username, wrongCode(code, i))
            : post('/auth/resetPassword/check').send({
                username: user.username,
                code: wrongCode(code, i),
              }),
        ),
      );
      for (const answer of answers) expectInvalidToken(answer);
      expect(await failedCodesOf(mail)).toBe(5);
      expectInvalidToken(await resetWithCode(user.username, code));
      expectInvalidToken(
        await post('/auth/resetPassword').send({
          token: tokenFrom(mail),
          password: NEW_PASSWORD,
        }),
      );
      expect(await failedCodesOf(mail)).toBe(5);
      expect(await server.users.verify(user.username, user.password)).toBe(
        true,
      );
    });

    it('answers a wrong code, a dead code and an unknown username alike, byte for byte', async () => {
      const user = await newUser(server);
      const older = await requestMail(server, user.username, user.email);
      const newer = await requestMail(server, user.username, user.email);
      const answers = await Promise.all([
        resetWithCode(user.username, wrongCode(codeFrom(newer))),
        resetWithCode(user.username, codeFrom(older)),
        resetWithCode(`nobody-${user.username}`, codeFrom(newer)),
      ]);
      const shapeOf = (res: request.Response) => ({
        status: res.status,
        text: res.text,
        headers: Object.keys(res.headers).sort(),
      });
      expectInvalidToken(answers[0]);
      expect(shapeOf(answers[1])).toEqual(shapeOf(answers[0]));
      expect(shapeOf(answers[2])).toEqual(shapeOf(answers[0]));
      const checks = await Promise.all([
        post('/auth/resetPassword/check').send({
          username: user.username,
          code: wrongCode(codeFrom(newer), 1),
        }),
        post('/auth/resetPassword/check').send({
          username: `nobody-${user.username}`,
          code: codeFrom(newer),
        }),
      ]);
      expectInvalidToken(checks[0]);
      expect(shapeOf(checks[1])).toEqual(shapeOf(checks[0]));
      await resetWithCode(user.username, codeFrom(newer)).expect(200, {});
    });

    it('refuses a body with both token and code, with neither, with a code and no username, and a code that is not six digits, naming the field', async () => {
      const refusal = async (body: object) => {
        const res = await post('/auth/resetPassword')
          .send({ password: NEW_PASSWORD, ...body })
          .expect(400);
        expect(res.body.code).toBe('invalid_request');
        return res.body.message;
      };
      expect(
        await refusal({ token: 'x', username: 'ana', code: '123456' }),
      ).toBe(
        "code must not come with token: send the link's token, or username and code",
      );
      expect(await refusal({ token: 'x', username: 'ana' })).toBe(
        "username goes with code, not with token: send the link's token, or username and code",
      );
      expect(await refusal({})).toBe(
        'token is required, or username and code instead',
      );
      expect(await refusal({ code: '123456' })).toBe('username is required');
      for (const code of [
        '12345',
        '1234567',
        '12345a',
        ' 123456',
        '１２３４５６',
      ])
        expect(await refusal({ username: 'ana', code })).toBe(
          'code must be the 6 digits from the mail',
        );
      expect(await refusal({ username: 'ana', code: 123456 })).toBe(
        'code must be a string',
      );
      expect(await refusal({ username: '   ', code: '123456' })).toBe(
        'username must not be empty or blank',
      );
      const check = await post('/auth/resetPassword/check')
        .send({ code: '123456' })
        .expect(400);
      expect(check.body.message).toBe('username is required');
    });

    it('offers a code form on the "check your mail" page, which resets as the link\'s form does', async () => {
      const user = await newUser(server);
      const before = server.smtp.mailsTo(user.email).length;
      const sent = await post('/auth/lostPassword')
        .set('Accept', 'text/html')
        .type('form')
        .send({ username: user.username })
        .expect(200);
      expect(sent.text).toMatch(
        /<form method="post" action="[^"]*resetPassword" id="code-form">/,
      );
      for (const field of [
        'username',
        'code',
        'password',
        'passwordConfirmation',
      ])
        expect(sent.text).toContain(`name="${field}"`);
      expect(sent.text).toContain(`value="${user.username}"`);
      const [mail] = (
        await server.smtp.waitForMails(user.email, before + 1)
      ).slice(before);
      const form = (code: string, language = 'en') =>
        post('/auth/resetPassword')
          .set('Accept', 'text/html')
          .set('Accept-Language', language)
          .type('form')
          .send({
            username: user.username,
            code,
            password: NEW_PASSWORD,
            passwordConfirmation: NEW_PASSWORD,
          });
      const wrong = await form(wrongCode(codeFrom(mail)), 'de').expect(400);
      expect(wrong.headers['content-type']).toMatch(/^text\/html/);
      expect(wrong.text).toContain('id="code-form"');
      expect(wrong.text).toContain(
        'dieser Link oder Code zum Zurücksetzen ist ungültig',
      );
      const done = await form(codeFrom(mail)).expect(200);
      expect(done.text).toContain('Your password was changed');
      expect(await server.users.verify(user.username, NEW_PASSWORD)).toBe(true);
    });
  },
);

describe.each(testPlatforms())(
  'reset codes and the limits (%s)',
  (platform) => {
    let limited: TestServer;
    let linksOnly: TestServer;

    beforeAll(async () => {
      [limited, linksOnly] = await Promise.all([
        startTestServer(platform, 'sqlite', {
          env: {
            RESET_CODE_DIGITS: '8',
            RESET_CODE_ATTEMPTS: '20',
            RESET_IP_RATE_LIMIT: '3',
          },
        }),
        startTestServer(platform, 'sqlite'),
      ]);
    });
    afterAll(() => Promise.all([limited.close(), linksOnly.close()]));

    it('counts code attempts against the per-IP limit of each token route: past it, even the right code gets 429', async () => {
      const user = await newUser(limited);
      const mail = await requestMail(limited, user.username, user.email);
      const code = codeFrom(mail);
      expect(code).toMatch(/^[0-9]{8}$/);
      const wrong = (i: number) =>
        String((Number(code) + 1 + i) % 1e8).padStart(8, '0');
      for (const [route, fields] of [
        ['/auth/resetPassword', { password: NEW_PASSWORD }],
        ['/auth/resetPassword/check', {}],
      ] as const) {
        for (let i = 0; i < 3; i++)
          await request(limited.http)
            .post(route)
            .send({ username: user.username, code: wrong(i), ...fields })
            .expect(400);
        const refused = await request(limited.http)
          .post(route)
          .send({ username: user.username, code, ...fields })
          .expect(429);
        expect(refused.body.code).toBe('too_many_requests');
      }
    });

    it('sends no code and refuses one, for every user alike, when codes are off', async () => {
      const user = await newUser(linksOnly);
      const mail = await requestMail(linksOnly, user.username, user.email);
      expect(() => codeFrom(mail)).toThrow('no reset code');
      for (const username of [user.username, 'nobody-at-all']) {
        const res = await request(linksOnly.http)
          .post('/auth/resetPassword')
          .send({ username, code: '123456', password: NEW_PASSWORD })
          .expect(400);
        expect(res.body).toEqual({
          statusCode: 400,
          error: 'Bad Request',
          code: 'invalid_request',
          message: 'code is not accepted: this service sends reset links only',
        });
      }
      const missing = await request(linksOnly.http)
        .post('/auth/resetPassword')
        .send({ password: NEW_PASSWORD })
        .expect(400);
      expect(missing.body.message).toBe('token is required');
    });
  },
);

/** Kim has a second factor (a fixed code standing in for TOTP). */
@Injectable()
class AccountsWithSecondFactor implements PasswordResetUserStore {
  readonly passwords = new Map<string, string>();
  private readonly kim: PasswordResetUser = {
    id: 'u-kim',
    username: 'kim',
    email: 'kim@host.example',
  };
  readonly secondFactor = {
    required: async () => true,
    verify: async (_user: PasswordResetUser, code: string) => code === 'TOTP-1',
  };
  async findByIdentifier(identifier: string) {
    return identifier === 'kim' ? this.kim : null;
  }
  async findById(id: string) {
    return id === this.kim.id ? this.kim : null;
  }
  async setPassword(id: string, newPassword: string) {
    this.passwords.set(id, newPassword);
  }
  async endSessions() {}
}

describe.each(testPlatforms())(
  'a reset code where the user has a second factor (%s)',
  (platform) => {
    let host: MountedHost;
    beforeAll(async () => {
      host = await mountedHost({
        platform,
        userStore: AccountsWithSecondFactor,
        options: { code: { digits: 7, attempts: 3 } },
      });
    });
    afterAll(() => host.close());

    it('still needs the second factor, as a link does', async () => {
      const mail = await requestMail(host, 'kim', 'kim@host.example');
      const code = codeFrom(mail);
      expect(code).toMatch(/^[0-9]{7}$/);
      const check = await host
        .post('/auth/resetPassword/check')
        .send({ username: 'kim', code })
        .expect(200);
      expect(check.body.secondFactorRequired).toBe(true);
      const reset = (fields: object) =>
        host
          .post('/auth/resetPassword')
          .send({ username: 'kim', code, password: NEW_PASSWORD, ...fields });
      expect((await reset({}).expect(400)).body.code).toBe(
        'second_factor_required',
      );
      expect(
        (await reset({ secondFactorCode: 'TOTP-2' }).expect(400)).body.code,
      ).toBe('invalid_second_factor');
      await reset({ secondFactorCode: 'TOTP-1' }).expect(200, {});
      expect(
        host.app.get(AccountsWithSecondFactor).passwords.get('u-kim'),
      ).toBe(NEW_PASSWORD);
    });
  },
);
