import { EventEmitter2 } from '@nestjs/event-emitter';
import { JwtService } from '@nestjs/jwt';
import request from 'supertest';
import { PasswordResetEvents } from '../../src/password-reset/password-reset.constants';
import type { PasswordChangedEvent } from '../../src/password-reset/password-reset.events';
import { IsNull, Not } from 'typeorm';
import type { PasswordResetUserStore } from '../../src/password-reset/interfaces/password-reset-user-store.interface';
import { ResetToken } from '../../src/password-reset/tokens/reset-token.entity';
import { ResetTokenService } from '../../src/password-reset/tokens/reset-token.service';
import { createTestDatabase, testDatabases } from '../support/databases';
import { testPlatformsAndDatabases } from '../support/platforms';
import { newUser, requestToken } from '../support/flow';
import { startTestServer, TestServer } from '../support/harness';

const NEW_PASSWORD = 'quiet lantern orbit 1987 meadow';
const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));

describe.each(testPlatformsAndDatabases())('POST /auth/resetPassword (%s, %s)', (platform, databaseKind) => {
  let server: TestServer;
  const events: PasswordChangedEvent[] = [];

  beforeAll(async () => {
    server = await startTestServer(platform, databaseKind);
    server.app.get(EventEmitter2).on(PasswordResetEvents.passwordChanged, (event: PasswordChangedEvent) => events.push(event));
  });
  afterAll(() => server.close());

  const reset = (token: string, password = NEW_PASSWORD) =>
    request(server.http).post('/auth/resetPassword').send({ token, password });

  const expectInvalidToken = (res: request.Response) =>
    expect({ status: res.status, body: res.body }).toEqual({
      status: 400,
      body: { statusCode: 400, error: 'Bad Request', code: 'invalid_token', message: expect.any(String) },
    });

  it('replaces the password, queues the notice, emits the event once, and does not log in', async () => {
    const user = await newUser(server);
    const token = await requestToken(server, user.username, user.email);
    events.splice(0);

    const res = await reset(token).expect(200, {});
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(await server.users.verify(user.username, NEW_PASSWORD)).toBe(true);
    expect(await server.users.verify(user.username, user.password)).toBe(false);

    const mails = await server.smtp.waitForMails(user.email, 2);
    expect(mails[1].parsed.subject).toMatch(/password .* was changed/);
    expect(mails[1].parsed.text).not.toMatch(/token=/);
    const [account] = await server.dataSource.query(`SELECT id FROM users WHERE username = '${user.username}'`);
    expect(events).toEqual([expect.objectContaining({ userId: String(account.id) })]);
  });

  it('refuses a second use of the same link', async () => {
    const user = await newUser(server);
    const token = await requestToken(server, user.username, user.email);
    await reset(token).expect(200);
    expectInvalidToken(await reset(token, 'another entirely different passphrase 42'));
    expect(await server.users.verify(user.username, NEW_PASSWORD)).toBe(true);
  });

  it('refuses a link older than its lifetime (30 minutes)', async () => {
    const user = await newUser(server);
    const token = await requestToken(server, user.username, user.email);
    server.clock.advance(30 * 60 * 1000 + 1000);
    try {
      expectInvalidToken(await reset(token));
    } finally {
      server.clock.advance(-(30 * 60 * 1000 + 1000));
    }
    expect(await server.users.verify(user.username, user.password)).toBe(true);
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
    const tokenLookups = jest.spyOn(server.dataSource.getRepository(ResetToken), 'findOneBy');
    try {
      expectInvalidToken(await reset(tampered));
      expectInvalidToken(await reset(`${header}.${payload}.${signature.slice(0, -4)}AAAA`));
      expectInvalidToken(await reset('not-a-jwt'));
      expect(tokenLookups).not.toHaveBeenCalled();
    } finally {
      tokenLookups.mockRestore();
    }

    const signer = new JwtService({ secret: 'test-secret-that-is-long-enough-for-hs256-signing' });
    const unknownToken = await signer.signAsync({ ...claims, jti: '00000000-0000-4000-8000-000000000000' });
    expectInvalidToken(await reset(unknownToken));
    const wrongPurpose = await signer.signAsync({ ...claims, purpose: 'email-confirmation' });
    expectInvalidToken(await reset(wrongPurpose));

    await reset(token).expect(200);
  });

  it('refuses a weak password with the reasons, and leaves the link usable', async () => {
    const user = await newUser(server);
    const token = await requestToken(server, user.username, user.email);
    for (const weak of ['short', 'password123', user.username, user.email, 'qwertyuiop']) {
      const res = await reset(token, weak).expect(400);
      expect(res.body).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        code: 'weak_password',
        message: expect.any(String),
        reasons: expect.arrayContaining([expect.any(String)]),
      });
    }
    await reset(token).expect(200, {});
  });

  it('lets exactly one of 25 concurrent uses of a token succeed', async () => {
    const user = await newUser(server);
    const token = await requestToken(server, user.username, user.email);
    events.splice(0);
    const results = await Promise.all(
      Array.from({ length: 25 }, (_, i) => reset(token, `${NEW_PASSWORD} variant ${i}`)),
    );
    const statuses = results.map((res) => res.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect(statuses.filter((status) => status === 400)).toHaveLength(24);
    const winner = results.findIndex((res) => res.status === 200);
    expect(await server.users.verify(user.username, `${NEW_PASSWORD} variant ${winner}`)).toBe(true);
    expect(events).toHaveLength(1);
  });

  it('kills every other outstanding token of the user after a reset', async () => {
    const user = await newUser(server);
    const token = await requestToken(server, user.username, user.email);
    await reset(token).expect(200);
    const live = await server.dataSource.query(
      `SELECT t.id FROM password_reset_tokens t JOIN users u ON t.user_id = ${databaseKind === 'postgres' ? 'CAST(u.id AS VARCHAR)' : 'u.id'} WHERE u.username = '${user.username}' AND t.used_at IS NULL AND t.revoked_at IS NULL`,
    );
    expect(live).toEqual([]);
  });

  it('normalises a Unicode password (NFKC) before storing it', async () => {
    const user = await newUser(server);
    const token = await requestToken(server, user.username, user.email);
    await reset(token, 'ｆｕｌｌｗｉｄｔｈ ｐａｓｓｐｈｒａｓｅ ｏｒｃｈｉｄ ９').expect(200);
    expect(await server.users.verify(user.username, 'fullwidth passphrase orchid 9')).toBe(true);
  });

  it('refuses two different passwords before looking at the link, and takes two equal ones', async () => {
    const user = await newUser(server);
    const token = await requestToken(server, user.username, user.email);
    const res = await request(server.http).post('/auth/resetPassword').send({ token, password: NEW_PASSWORD, passwordConfirmation: 'something else' }).expect(400);
    expect(res.body).toEqual({ statusCode: 400, error: 'Bad Request', code: 'password_mismatch', message: 'the two passwords differ', reasons: ['the two passwords differ'] });
    await request(server.http).post('/auth/resetPassword').send({ token, password: NEW_PASSWORD, passwordConfirmation: NEW_PASSWORD }).expect(200, {});
  });

  it('answers 400 naming the field for a missing token or password', async () => {
    const res = await request(server.http).post('/auth/resetPassword').send({ password: NEW_PASSWORD }).expect(400);
    expect(res.body).toMatchObject({ code: 'invalid_request', message: 'token is required' });
    const res2 = await request(server.http).post('/auth/resetPassword').send({ token: 'x' }).expect(400);
    expect(res2.body).toMatchObject({ code: 'invalid_request', message: 'password is required' });
  });

  describe('POST /auth/resetPassword/check', () => {
    it('says until when a link is usable, without spending it', async () => {
      const user = await newUser(server);
      const token = await requestToken(server, user.username, user.email);
      for (let i = 0; i < 3; i++) {
        const res = await request(server.http).post('/auth/resetPassword/check').send({ token }).expect(200);
        expect(res.body).toEqual({ usable: true, expiresAt: expect.any(String) });
        expect(Math.floor(Date.parse(res.body.expiresAt) / 1000)).toBe(claimsOf(token).exp);
      }
      await reset(token).expect(200);
      expectInvalidToken(await request(server.http).post('/auth/resetPassword/check').send({ token }));
    });
  });

  it("treats a deleted user's link as dead on every route: page, check and reset", async () => {
    const user = await newUser(server);
    const token = await requestToken(server, user.username, user.email);
    await server.dataSource.query(`DELETE FROM users WHERE username = '${user.username}'`);
    const page = await request(server.http).get('/auth/resetPassword').query({ token }).expect(200);
    expect(page.text).toContain('This link no longer works');
    expectInvalidToken(await request(server.http).post('/auth/resetPassword/check').send({ token }));
    expectInvalidToken(await reset(token));
  });

  it('leaves only the newest link live when tokens are made for one user at the same moment (as by several instances)', async () => {
    const user = await newUser(server);
    const [account] = await server.dataSource.query(`SELECT id FROM users WHERE username = '${user.username}'`);
    const userId = String(account.id);
    const tokens = server.app.get(ResetTokenService);
    for (let round = 0; round < 10; round++) {
      await Promise.all(Array.from({ length: 5 }, () => tokens.issue(userId)));
      const live = await server.dataSource.getRepository(ResetToken).find({ where: { userId, usedAt: IsNull(), revokedAt: IsNull() } });
      expect(live).toHaveLength(1);
    }
  });

  describe('with a password change made another way while a reset is storing its password', () => {
    let slowServer: TestServer;
    beforeAll(async () => {
      // A store that takes half a second to store a password, as under a busy thread pool.
      const slowStore: PasswordResetUserStore = {
        findByIdentifier: (identifier) => slowServer.users.findByIdentifier(identifier),
        findById: (id) => slowServer.users.findById(id),
        setPassword: async (id, password) => {
          await new Promise((resolve) => setTimeout(resolve, 500));
          await slowServer.users.setPassword(id, password);
        },
      };
      slowServer = await startTestServer(platform, databaseKind, { moduleOverrides: { userStore: slowStore } });
    });
    afterAll(() => slowServer.close());

    it('keeps the later change: the link does not overwrite it', async () => {
      const user = await newUser(slowServer);
      const token = await requestToken(slowServer, user.username, user.email);
      const resetting = request(slowServer.http).post('/auth/resetPassword').send({ token, password: NEW_PASSWORD });
      const answer = resetting.then((res) => res);
      const tokenRows = slowServer.dataSource.getRepository(ResetToken);
      while (!(await tokenRows.exists({ where: { id: claimsOf(token).jti, usedAt: Not(IsNull()) } }))) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      const adminPassword = 'set by an administrator 1999 later';
      expect(await slowServer.users.changePasswordOf(user.username, adminPassword)).toBe(true);
      expect((await answer).status).toBe(200);
      expect(await slowServer.users.verify(user.username, adminPassword)).toBe(true);
      expect(await slowServer.users.verify(user.username, NEW_PASSWORD)).toBe(false);
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
    for (const secret of [token, claimsOf(token).tok, NEW_PASSWORD, user.password, 'short']) expect(logged).not.toContain(secret);
  });
});

// Which link is the newest is the subject, not HTTP: Express only.
describe.each(testDatabases())('links made by instances whose clocks differ (%s)', (databaseKind) => {
  it("takes the newest mail's link when the instance that made the older one had its clock 120 s ahead", async () => {
    const shared = await createTestDatabase(databaseKind);
    const onShared = { routeDatabase: async () => shared.url };
    try {
      const ahead = await startTestServer('express', databaseKind, onShared);
      let older: string;
      try {
        ahead.clock.advance(120 * 1000);
        await ahead.users.add('skewed', 'skewed@example.com', 'correct horse battery staple');
        older = await requestToken(ahead, 'skewed', 'skewed@example.com');
      } finally {
        await ahead.close();
      }
      const behind = await startTestServer('express', databaseKind, onShared);
      try {
        const newer = await requestToken(behind, 'skewed', 'skewed@example.com');
        const reset = (token: string) => request(behind.http).post('/auth/resetPassword').send({ token, password: NEW_PASSWORD });
        expect((await reset(older)).body).toMatchObject({ statusCode: 400, code: 'invalid_token' });
        await reset(newer).expect(200, {});
      } finally {
        await behind.close();
      }
    } finally {
      await shared.drop();
    }
  });
});
