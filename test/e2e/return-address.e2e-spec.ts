import request from 'supertest';
import { testPlatforms, testPlatformsAndDatabases } from '../support/platforms';
import { newUser, requestToken } from '../support/flow';
import { startTestServer, TestServer } from '../support/harness';
import { claimsOf, signLink } from '../support/reset-links';
import { tokenFrom } from '../support/smtp-sink';

const NEW_PASSWORD = 'quiet lantern orbit 1987 meadow';
const RETURN_URLS =
  'https://app.example.test, https://shop.example.test:8443/account/';

const refusedReturnTo = {
  statusCode: 400,
  error: 'Bad Request',
  code: 'invalid_request',
  message:
    'returnTo must be an absolute http(s) URL on the list of allowed return addresses',
};

describe.each(testPlatformsAndDatabases())(
  'returnTo, checked against RETURN_URLS (%s, %s)',
  (platform, databaseKind) => {
    let server: TestServer;

    beforeAll(async () => {
      server = await startTestServer(platform, databaseKind, {
        env: { RETURN_URLS },
      });
    });
    afterAll(() => server.close());

    const lostPassword = (body: object) =>
      request(server.http).post('/auth/lostPassword').send(body);

    /** Asks for a link with `returnTo` and returns the token in the mail. */
    const tokenWithReturnTo = async (returnTo: string) => {
      const user = await newUser(server);
      await lostPassword({ username: user.username, returnTo }).expect(200, {});
      const [mail] = await server.smtp.waitForMails(user.email);
      return tokenFrom(mail);
    };

    it('carries an allowed returnTo, as parsed, signed in the link, and answers it after the reset', async () => {
      const token = await tokenWithReturnTo(
        'HTTPS://Shop.Example.TEST:8443/account/orders?tab=1',
      );
      const carried = 'https://shop.example.test:8443/account/orders?tab=1';
      expect(claimsOf(token).ret).toBe(carried);

      await request(server.http)
        .post('/auth/resetPassword')
        .send({ token, password: NEW_PASSWORD })
        .expect(200, { returnTo: carried });
    });

    it('offers a "Continue" link to it on the page after a reset from the form', async () => {
      const token = await tokenWithReturnTo('https://app.example.test/home');
      const res = await request(server.http)
        .post('/auth/resetPassword')
        .set('Accept', 'text/html')
        .type('form')
        .send({
          token,
          password: NEW_PASSWORD,
          passwordConfirmation: NEW_PASSWORD,
        })
        .expect(200);
      expect(res.text).toContain(
        '<a id="continue" href="https://app.example.test/home">Continue</a>',
      );
    });

    it('answers {} and offers no "Continue" link for a link without one', async () => {
      const user = await newUser(server);
      const token = await requestToken(server, user.username, user.email);
      expect(claimsOf(token).ret).toBeUndefined();
      const res = await request(server.http)
        .post('/auth/resetPassword')
        .set('Accept', 'text/html')
        .type('form')
        .send({ token, password: NEW_PASSWORD })
        .expect(200);
      expect(res.text).not.toContain('id="continue"');
      const other = await newUser(server);
      await request(server.http)
        .post('/auth/resetPassword')
        .send({
          token: await requestToken(server, other.username, other.email),
          password: NEW_PASSWORD,
        })
        .expect(200, {});
    });

    it('gives back only what the list still allows, even from a link signed with the secret', async () => {
      const token = await tokenWithReturnTo('https://app.example.test/');
      const forged = await signLink({
        ...claimsOf(token),
        ret: 'https://evil.example.net/',
      });
      await request(server.http)
        .post('/auth/resetPassword')
        .send({ token: forged, password: NEW_PASSWORD })
        .expect(200, {});
    });

    it.each([
      ['a look-alike host', 'https://app.example.test.evil.example.net/'],
      ['userinfo', 'https://app.example.test@evil.example.net/'],
      ['another scheme', 'javascript:alert(document.cookie)'],
      ['http for https', 'http://app.example.test/'],
      ['another port', 'https://app.example.test:8443/'],
      ['a path off the prefix', 'https://shop.example.test:8443/accounts'],
      ['traversal', 'https://shop.example.test:8443/account/../admin'],
      [
        'encoded traversal',
        'https://shop.example.test:8443/account/%2E%2E/admin',
      ],
      ['an encoded slash', 'https://shop.example.test:8443/account/..%2fadmin'],
      ['a backslash', 'https://app.example.test\\@evil.example.net/'],
      ['a relative address', '/account/'],
      ['something that is no URL', 'app.example.test'],
    ])(
      'refuses %s with 400 invalid_request naming returnTo, the same for known and unknown users, queuing nothing',
      async (_, returnTo) => {
        const user = await newUser(server);
        const known = await lostPassword({ username: user.username, returnTo });
        const unknown = await lostPassword({
          username: `nobody-${user.username}`,
          returnTo,
        });
        expect({ status: known.status, body: known.body }).toEqual({
          status: 400,
          body: refusedReturnTo,
        });
        expect(unknown.text).toBe(known.text);
        await server.settle();
        expect(server.smtp.mailsTo(user.email)).toHaveLength(0);
      },
    );

    it('refuses a returnTo that is no string, or too long', async () => {
      const user = await newUser(server);
      await lostPassword({ username: user.username, returnTo: 42 }).expect(
        400,
        { ...refusedReturnTo, message: 'returnTo must be a string' },
      );
      const long = `https://app.example.test/${'a'.repeat(2048)}`;
      const res = await lostPassword({
        username: user.username,
        returnTo: long,
      });
      expect(res.status).toBe(400);
      expect(res.body.message).toMatch(/^returnTo /);
    });

    it('puts an allowed returnTo of the query into the form as a hidden field, and leaves out one off the list', async () => {
      const allowed = await request(server.http)
        .get('/auth/lostPassword')
        .query({ returnTo: 'https://app.example.test/x' })
        .expect(200);
      expect(allowed.text).toContain(
        '<input type="hidden" name="returnTo" value="https://app.example.test/x">',
      );
      const offList = await request(server.http)
        .get('/auth/lostPassword')
        .query({ returnTo: 'https://evil.example.net/' })
        .expect(200);
      expect(offList.text).not.toContain('name="returnTo"');
    });

    it('takes returnTo from the form post, as a browser sends it', async () => {
      const user = await newUser(server);
      await request(server.http)
        .post('/auth/lostPassword')
        .set('Accept', 'text/html')
        .type('form')
        .send({
          username: user.username,
          returnTo: 'https://app.example.test/',
        })
        .expect(200);
      const [mail] = await server.smtp.waitForMails(user.email);
      expect(claimsOf(tokenFrom(mail)).ret).toBe('https://app.example.test/');
    });
  },
);

describe.each(testPlatforms())(
  'returnTo without RETURN_URLS (%s)',
  (platform) => {
    let server: TestServer;

    beforeAll(async () => {
      server = await startTestServer(platform, 'sqlite');
    });
    afterAll(() => server.close());

    it('refuses any returnTo with 400 invalid_request naming returnTo, and queues nothing', async () => {
      const user = await newUser(server);
      await request(server.http)
        .post('/auth/lostPassword')
        .send({
          username: user.username,
          returnTo: 'https://app.example.test/',
        })
        .expect(400, refusedReturnTo);
      await server.settle();
      expect(server.smtp.mailsTo(user.email)).toHaveLength(0);
    });
  },
);
