import { randomBytes } from 'node:crypto';
import { HttpException } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import request from 'supertest';
import { PasswordResetEvents } from '../../src/password-reset/password-reset.constants';
import type { PasswordChangedEvent } from '../../src/password-reset/password-reset.events';
import { IsNull, Not } from 'typeorm';
import type { PasswordResetUserStore } from '../../src/password-reset/interfaces/password-reset-user-store.interface';
import { ResetToken } from '../../src/password-reset/tokens/reset-token.entity';
import { ResetTokenService } from '../../src/password-reset/tokens/reset-token.service';
import { PasswordResetError, PasswordResetService } from '../../src/index';
import { createTestDatabase, testDatabases } from '../support/databases';
import { testPlatformsAndDatabases } from '../support/platforms';
import { newUser, requestToken } from '../support/flow';
import { startTestServer, TestServer } from '../support/harness';
import { claimsOf, plantLiveToken, signLink } from '../support/reset-links';

const NEW_PASSWORD = 'quiet lantern orbit 1987 meadow';
const TOKEN_LIFETIME_MS = 30 * 60 * 1000;

describe.each(testPlatformsAndDatabases())(
  'POST /auth/resetPassword (%s, %s)',
  (platform, databaseKind) => {
    let server: TestServer;
    const events: PasswordChangedEvent[] = [];

    beforeAll(async () => {
      server = await startTestServer(platform, databaseKind);
      server.app
        .get(EventEmitter2)
        .on(
          PasswordResetEvents.passwordChanged,
          (event: PasswordChangedEvent) => events.push(event),
        );
    });
    afterAll(() => server.close());

    const reset = (token: string, password = NEW_PASSWORD) =>
      request(server.http)
        .post('/auth/resetPassword')
        .send({ token, password });

    const expectInvalidToken = (res: request.Response) =>
      expect({ status: res.status, body: res.body }).toEqual({
        status: 400,
        body: {
          statusCode: 400,
          error: 'Bad Request',
          code: 'invalid_token',
          message: expect.any(String),
        },
      });

    it('replaces the password, queues the notice, emits the event once, and does not log in', async () => {
      const user = await newUser(server);
      const token = await requestToken(server, user.username, user.email);
      events.splice(0);

      const res = await reset(token).expect(200, {});
      expect(res.headers['set-cookie']).toBeUndefined();
      expect(await server.users.verify(user.username, NEW_PASSWORD)).toBe(true);
      expect(await server.users.verify(user.username, user.password)).toBe(
        false,
      );

      const mails = await server.smtp.waitForMails(user.email, 2);
      expect(mails[1].parsed.subject).toMatch(/password .* was changed/);
      expect(mails[1].parsed.text).not.toMatch(/token=/);
      const [account] = await server.dataSource.query(
        `SELECT id FROM users WHERE username = '${user.username}'`,
      );
      expect(events).toEqual([
        expect.objectContaining({ userId: String(account.id) }),
      ]);
    });

    it('refuses a second use of the same link', async () => {
      const user = await newUser(server);
      const token = await requestToken(server, user.username, user.email);
      await reset(token).expect(200);
      expectInvalidToken(
        await reset(token, 'another entirely different passphrase 42'),
      );
      expect(await server.users.verify(user.username, NEW_PASSWORD)).toBe(true);
    });

    const check = (token: string) =>
      request(server.http).post('/auth/resetPassword/check').send({ token });
    const tokenRows = () => server.dataSource.getRepository(ResetToken);

    it('refuses a link older than its lifetime (30 minutes)', async () => {
      const user = await newUser(server);
      const token = await requestToken(server, user.username, user.email);
      server.clock.advance(TOKEN_LIFETIME_MS + 1000);
      try {
        expectInvalidToken(await reset(token));
      } finally {
        server.clock.advance(-(TOKEN_LIFETIME_MS + 1000));
      }
      expect(await server.users.verify(user.username, user.password)).toBe(
        true,
      );
    });

    // The JWT's `exp` and the row's `expires_at` each refuse an expired link; each is tested here with the other still valid.
    it('refuses a link whose token row has expired while its JWT has not', async () => {
      const user = await newUser(server);
      const token = await requestToken(server, user.username, user.email);
      await check(token).expect(200);
      await tokenRows().update(
        { id: claimsOf(token).jti },
        { expiresAt: server.clock.now() - 1000 },
      );
      expect(claimsOf(token).exp * 1000).toBeGreaterThan(server.clock.now());
      expectInvalidToken(await check(token));
      expectInvalidToken(await reset(token));
      expect(await server.users.verify(user.username, user.password)).toBe(
        true,
      );
    });

    it('refuses a link whose JWT has expired while its token row has not', async () => {
      const user = await newUser(server);
      const token = await requestToken(server, user.username, user.email);
      await tokenRows().update(
        { id: claimsOf(token).jti },
        { expiresAt: server.clock.now() + 2 * TOKEN_LIFETIME_MS },
      );
      server.clock.advance(TOKEN_LIFETIME_MS + 1000);
      try {
        expectInvalidToken(await check(token));
        expectInvalidToken(await reset(token));
      } finally {
        server.clock.advance(-(TOKEN_LIFETIME_MS + 1000));
      }
      expect(await server.users.verify(user.username, user.password)).toBe(
        true,
      );
      await reset(token).expect(200, {});
    });

    it('refuses a link superseded by a newer request, and takes the newer one', async () => {
      const user = await newUser(server);
      const older = await requestToken(server, user.username, user.email);
      const newer = await requestToken(server, user.username, user.email);
      expectInvalidToken(await reset(older));
      await reset(newer).expect(200, {});
    });

    it('refuses a tampered or malformed JWT without a database query, and a correctly signed one naming no stored token', async () => {
      const user = await newUser(server);
      const token = await requestToken(server, user.username, user.email);
      const [header, payload, signature] = token.split('.');
      const claims = claimsOf(token);
      const tampered = `${header}.${Buffer.from(JSON.stringify({ ...claims, sub: '999999' })).toString('base64url')}.${signature}`;
      const tokenLookups = jest.spyOn(
        server.dataSource.getRepository(ResetToken),
        'findOneBy',
      );
      try {
        expectInvalidToken(await reset(tampered));
        expectInvalidToken(
          await reset(`${header}.${payload}.${signature.slice(0, -4)}AAAA`),
        );
        expectInvalidToken(await reset('not-a-jwt'));
        expect(tokenLookups).not.toHaveBeenCalled();
      } finally {
        tokenLookups.mockRestore();
      }

      const unknownToken = await signLink({
        ...claims,
        jti: '00000000-0000-4000-8000-000000000000',
      });
      expectInvalidToken(await reset(unknownToken));
      const wrongPurpose = await signLink({
        ...claims,
        purpose: 'email-confirmation',
      });
      expectInvalidToken(await reset(wrongPurpose));

      await reset(token).expect(200);
    });

    it('refuses a correctly signed link whose token value is not the one stored for its token id', async () => {
      const user = await newUser(server);
      const token = await requestToken(server, user.username, user.email);
      const wrongValue = await signLink({
        ...claimsOf(token),
        tok: randomBytes(32).toString('base64url'),
      });
      expectInvalidToken(await check(wrongValue));
      expectInvalidToken(await reset(wrongValue));
      expect(await server.users.verify(user.username, user.password)).toBe(
        true,
      );
      await reset(token).expect(200, {});
    });

    it("refuses a correctly signed link that names one user and another user's token", async () => {
      const victim = await newUser(server);
      const attacker = await newUser(server);
      const victimToken = await requestToken(
        server,
        victim.username,
        victim.email,
      );
      const attackerToken = await requestToken(
        server,
        attacker.username,
        attacker.email,
      );
      const crossed = await signLink({
        ...claimsOf(victimToken),
        sub: claimsOf(attackerToken).sub,
      });
      expectInvalidToken(await check(crossed));
      expectInvalidToken(await reset(crossed));
      expect(await server.users.verify(victim.username, victim.password)).toBe(
        true,
      );
      expect(
        await server.users.verify(attacker.username, attacker.password),
      ).toBe(true);
    });

    it('refuses a weak password with the reasons, and leaves the link usable', async () => {
      const user = await newUser(server);
      const token = await requestToken(server, user.username, user.email);
      const tooShort = 'password must be at least 8 characters long';
      const personal = 'password must not be your username or e-mail address';
      const guessable = 'password is too easy to guess';
      const refusals: Array<[string, string]> = [
        ['short', tooShort],
        [user.username, personal],
        [user.email, personal],
        [user.email.toUpperCase(), personal],
        ['password123', guessable],
        ['qwertyuiop', guessable],
        // zxcvbn score 2 (about 6 million guesses), one below the policy's 3.
        ['velvetmoth', guessable],
      ];
      for (const [weak, reason] of refusals) {
        const res = await reset(token, weak).expect(400);
        expect(res.body).toEqual({
          statusCode: 400,
          error: 'Bad Request',
          code: 'weak_password',
          message: expect.stringContaining(reason),
          reasons: expect.any(Array),
        });
        expect(res.body.reasons[0]).toBe(reason);
        if (reason !== guessable) expect(res.body.reasons).toEqual([reason]);
      }
      // zxcvbn score 3 (about 150 million guesses): just strong enough.
      await reset(token, 'mapleriver9').expect(200, {});
    });

    it("refuses a host's own call with a PasswordResetError: the code and English texts, no HTTP status", async () => {
      const user = await newUser(server);
      const token = await requestToken(server, user.username, user.email);
      const passwordReset = server.app.get(PasswordResetService);
      const tooShort = 'password must be at least 8 characters long';
      const refusal = await passwordReset
        .resetPassword(token, 'short')
        .catch((error: unknown) => error);
      expect(refusal).toBeInstanceOf(PasswordResetError);
      expect(refusal).not.toBeInstanceOf(HttpException);
      expect(refusal).toMatchObject({
        code: 'weak_password',
        message: tooShort,
        reasons: [tooShort],
      });
      await expect(
        passwordReset.resetPassword('not a link', NEW_PASSWORD),
      ).rejects.toMatchObject({ code: 'invalid_token' });
      await reset(token).expect(200, {});
    });

    it('lets exactly one of 25 concurrent uses of a token succeed', async () => {
      const user = await newUser(server);
      const token = await requestToken(server, user.username, user.email);
      events.splice(0);
      const results = await Promise.all(
        Array.from({ length: 25 }, (_, i) =>
          reset(token, `${NEW_PASSWORD} variant ${i}`),
        ),
      );
      const statuses = results.map((res) => res.status);
      expect(statuses.filter((status) => status === 200)).toHaveLength(1);
      expect(statuses.filter((status) => status === 400)).toHaveLength(24);
      const winner = results.findIndex((res) => res.status === 200);
      expect(
        await server.users.verify(
          user.username,
          `${NEW_PASSWORD} variant ${winner}`,
        ),
      ).toBe(true);
      expect(events).toHaveLength(1);
    });

    it('kills every other live token of the user after a reset, such as one another instance made at the same moment', async () => {
      const user = await newUser(server);
      const token = await requestToken(server, user.username, user.email);
      const other = await plantLiveToken(server, claimsOf(token).sub);
      await check(other).expect(200);
      await reset(token).expect(200);
      expectInvalidToken(await check(other));
      expectInvalidToken(
        await reset(other, 'another entirely different passphrase 42'),
      );
      expect(await server.users.verify(user.username, NEW_PASSWORD)).toBe(true);
    });

    it('normalises a Unicode password (NFKC) before storing it', async () => {
      const user = await newUser(server);
      const token = await requestToken(server, user.username, user.email);
      await reset(
        token,
        'ｆｕｌｌｗｉｄｔｈ ｐａｓｓｐｈｒａｓｅ ｏｒｃｈｉｄ ９',
      ).expect(200);
      expect(
        await server.users.verify(
          user.username,
          'fullwidth passphrase orchid 9',
        ),
      ).toBe(true);
    });

    it('refuses two different passwords before looking at the link, and takes two equal ones', async () => {
      const user = await newUser(server);
      const token = await requestToken(server, user.username, user.email);
      const res = await request(server.http)
        .post('/auth/resetPassword')
        .send({
          token,
          password: NEW_PASSWORD,
          passwordConfirmation: 'something else',
        })
        .expect(400);
      expect(res.body).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        code: 'password_mismatch',
        message: 'the two passwords differ',
        reasons: ['the two passwords differ'],
      });
      await request(server.http)
        .post('/auth/resetPassword')
        .send({
          token,
          password: NEW_PASSWORD,
          passwordConfirmation: NEW_PASSWORD,
        })
        .expect(200, {});
    });

    it('answers 400 naming the field for a missing token or password', async () => {
      const res = await request(server.http)
        .post('/auth/resetPassword')
        .send({ password: NEW_PASSWORD })
        .expect(400);
      expect(res.body).toMatchObject({
        code: 'invalid_request',
        message: 'token is required',
      });
      const res2 = await request(server.http)
        .post('/auth/resetPassword')
        .send({ token: 'x' })
        .expect(400);
      expect(res2.body).toMatchObject({
        code: 'invalid_request',
        message: 'password is required',
      });
    });

    describe('POST /auth/resetPassword/check', () => {
      it('says until when a link is usable, without spending it', async () => {
        const user = await newUser(server);
        const token = await requestToken(server, user.username, user.email);
        for (let i = 0; i < 3; i++) {
          const res = await request(server.http)
            .post('/auth/resetPassword/check')
            .send({ token })
            .expect(200);
          expect(res.body).toEqual({
            usable: true,
            expiresAt: expect.any(String),
            purpose: 'reset',
          });
          expect(Math.floor(Date.parse(res.body.expiresAt) / 1000)).toBe(
            claimsOf(token).exp,
          );
        }
        await reset(token).expect(200);
        expectInvalidToken(
          await request(server.http)
            .post('/auth/resetPassword/check')
            .send({ token }),
        );
      });
    });

    it("treats a deleted user's link as dead on every route: page, check and reset", async () => {
      const user = await newUser(server);
      const token = await requestToken(server, user.username, user.email);
      await server.dataSource.query(
        `DELETE FROM users WHERE username = '${user.username}'`,
      );
      const page = await request(server.http)
        .get('/auth/resetPassword')
        .query({ token })
        .expect(200);
      expect(page.text).toContain('This link no longer works');
      expectInvalidToken(
        await request(server.http)
          .post('/auth/resetPassword/check')
          .send({ token }),
      );
      expectInvalidToken(await reset(token));
    });

    it('leaves only the newest link live when tokens are made for one user at the same moment (as by several instances)', async () => {
      const user = await newUser(server);
      const [account] = await server.dataSource.query(
        `SELECT id FROM users WHERE username = '${user.username}'`,
      );
      const userId = String(account.id);
      const tokens = server.app.get(ResetTokenService);
      for (let round = 0; round < 10; round++) {
        await Promise.all(
          Array.from({ length: 5 }, () => tokens.issue(userId)),
        );
        const live = await server.dataSource
          .getRepository(ResetToken)
          .find({ where: { userId, usedAt: IsNull(), revokedAt: IsNull() } });
        expect(live).toHaveLength(1);
      }
    });

    describe('with a password change made another way while a reset is storing its password', () => {
      let slowServer: TestServer;
      beforeAll(async () => {
        // A store that takes half a second to store a password, as under a busy thread pool.
        const slowStore: PasswordResetUserStore = {
          findByIdentifier: (identifier) =>
            slowServer.users.findByIdentifier(identifier),
          findById: (id) => slowServer.users.findById(id),
          setPassword: async (id, password) => {
            await new Promise((resolve) => setTimeout(resolve, 500));
            await slowServer.users.setPassword(id, password);
          },
        };
        slowServer = await startTestServer(platform, databaseKind, {
          moduleOverrides: { userStore: slowStore },
        });
      });
      afterAll(() => slowServer.close());

      it('keeps the later change: the link does not overwrite it', async () => {
        const user = await newUser(slowServer);
        const token = await requestToken(slowServer, user.username, user.email);
        const resetting = request(slowServer.http)
          .post('/auth/resetPassword')
          .send({ token, password: NEW_PASSWORD });
        const answer = resetting.then((res) => res);
        const tokenRows = slowServer.dataSource.getRepository(ResetToken);
        while (
          !(await tokenRows.exists({
            where: { id: claimsOf(token).jti, usedAt: Not(IsNull()) },
          }))
        ) {
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        const adminPassword = 'set by an administrator 1999 later';
        expect(
          await slowServer.users.changePasswordOf(user.username, adminPassword),
        ).toBe(true);
        expect((await answer).status).toBe(200);
        expect(
          await slowServer.users.verify(user.username, adminPassword),
        ).toBe(true);
        expect(await slowServer.users.verify(user.username, NEW_PASSWORD)).toBe(
          false,
        );
      });
    });

    it('never logs a token, a link or a password', async () => {
      const user = await newUser(server);
      server.logs.lines.splice(0);
      const token = await requestToken(server, user.username, user.email);
      await reset(token, 'short').expect(400);
      await reset(token).expect(200);
      await reset(token).expect(400);
      await server.settle();
      const logged = server.logs.lines.join('\n');
      for (const secret of [
        token,
        claimsOf(token).tok,
        NEW_PASSWORD,
        user.password,
        'short',
      ])
        expect(logged).not.toContain(secret);
    });
  },
);

// Which link is the newest is the subject, not HTTP: Express only.
describe.each(testDatabases())(
  'links made by instances whose clocks differ (%s)',
  (databaseKind) => {
    it("takes the newest mail's link when the instance that made the older one had its clock 120 s ahead", async () => {
      const shared = await createTestDatabase(databaseKind);
      const onShared = { routeDatabase: async () => shared.url };
      try {
        const ahead = await startTestServer('express', databaseKind, onShared);
        let older: string;
        try {
          ahead.clock.advance(120 * 1000);
          await ahead.users.add(
            'skewed',
            'skewed@example.com',
            'correct horse battery staple',
          );
          older = await requestToken(ahead, 'skewed', 'skewed@example.com');
        } finally {
          await ahead.close();
        }
        const behind = await startTestServer('express', databaseKind, onShared);
        try {
          const newer = await requestToken(
            behind,
            'skewed',
            'skewed@example.com',
          );
          const reset = (token: string) =>
            request(behind.http)
              .post('/auth/resetPassword')
              .send({ token, password: NEW_PASSWORD });
          expect((await reset(older)).body).toMatchObject({
            statusCode: 400,
            code: 'invalid_token',
          });
          await reset(newer).expect(200, {});
        } finally {
          await behind.close();
        }
      } finally {
        await shared.drop();
      }
    });
  },
);
