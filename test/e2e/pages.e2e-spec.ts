import request from 'supertest';
import { testDatabases } from '../support/databases';
import { testPlatforms, testPlatformsAndDatabases } from '../support/platforms';
import { newUser, requestToken } from '../support/flow';
import { startTestServer, TestServer } from '../support/harness';
import { BROWSER_ACCEPT, expectPageHeaders } from '../support/pages';

const STRONG = 'quiet lantern orbit 1987 meadow';

describe.each(testPlatformsAndDatabases())(
  'the standalone pages (%s, %s)',
  (platform, databaseKind) => {
    let server: TestServer;

    beforeAll(async () => {
      server = await startTestServer(platform, databaseKind);
    });
    afterAll(() => server.close());

    const formPost = (path: string, body: string) =>
      request(server.http)
        .post(path)
        .set('Accept', BROWSER_ACCEPT)
        .type('form')
        .send(body);

    it('GET /auth/lostPassword shows the form, which posts back and gets a page', async () => {
      const form = await request(server.http)
        .get('/auth/lostPassword')
        .expect(200);
      expectPageHeaders(form);
      expect(form.text).toContain('<form method="post" action="lostPassword">');

      const user = await newUser(server);
      const sent = await formPost(
        '/auth/lostPassword',
        `username=${user.username}`,
      ).expect(200);
      expectPageHeaders(sent);
      expect(sent.text).toContain('Check your mail');
      await server.smtp.waitForMails(user.email);
    });

    it("shows the lost-password form again, with the problem listed, for a blank username that the field's `required` let through", async () => {
      const blank = await formPost(
        '/auth/lostPassword',
        'username=%20%20%20',
      ).expect(400);
      expectPageHeaders(blank);
      expect(blank.text).toContain(
        '<li>username must not be empty or blank</li>',
      );
      expect(blank.text).toContain(
        '<form method="post" action="lostPassword">',
      );
      expect(blank.text).not.toContain('Something went wrong');

      const json = await request(server.http)
        .post('/auth/lostPassword')
        .type('form')
        .send('username=%20%20%20')
        .expect(400);
      expect(json.body).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        message: 'username must not be empty or blank',
        code: 'invalid_request',
      });
    });

    it('GET /auth/resetPassword shows the form for a usable link, as often as it is opened, without spending it', async () => {
      const user = await newUser(server);
      const token = await requestToken(server, user.username, user.email);
      for (let i = 0; i < 3; i++) {
        const page = await request(server.http)
          .get('/auth/resetPassword')
          .query({ token })
          .expect(200);
        expectPageHeaders(page);
        expect(page.text).toContain(`name="token" value="${token}"`);
        expect(page.text).toContain('name="passwordConfirmation"');
      }
      await request(server.http)
        .post('/auth/resetPassword/check')
        .send({ token })
        .expect(200);
    });

    it('shows the "no longer works" page for a missing, garbled, repeated or used link', async () => {
      for (const query of [
        '',
        '?token=garbage',
        '?token=a&token=b',
        `?token=${'x'.repeat(5000)}`,
      ]) {
        const page = await request(server.http)
          .get(`/auth/resetPassword${query}`)
          .expect(200);
        expectPageHeaders(page);
        expect(page.text).toContain('This link no longer works');
        expect(page.text).toContain('href="lostPassword"');
      }
    });

    it('answers a browser form post with pages: problems listed, success, then the dead link', async () => {
      const user = await newUser(server);
      const token = await requestToken(server, user.username, user.email);

      const mismatch = await formPost(
        '/auth/resetPassword',
        `token=${token}&password=${encodeURIComponent(STRONG)}&passwordConfirmation=other`,
      ).expect(400);
      expect(mismatch.text).toContain('<li>the two passwords differ</li>');
      expect(mismatch.text).toContain(`value="${token}"`);

      const weak = await formPost(
        '/auth/resetPassword',
        `token=${token}&password=password123&passwordConfirmation=password123`,
      ).expect(400);
      expectPageHeaders(weak);
      expect(weak.text).toContain('id="problems"');
      expect(weak.text).toContain(`value="${token}"`);

      const done = await formPost(
        '/auth/resetPassword',
        `token=${token}&password=${encodeURIComponent(STRONG)}`,
      ).expect(200);
      expectPageHeaders(done);
      expect(done.text).toContain('Your password was changed');

      const again = await formPost(
        '/auth/resetPassword',
        `token=${token}&password=${encodeURIComponent(STRONG)}`,
      ).expect(400);
      expect(again.text).toContain('This link no longer works');
    });

    it('keeps answering JSON to API clients, form or not', async () => {
      const user = await newUser(server);
      await request(server.http)
        .post('/auth/lostPassword')
        .type('form')
        .send(`username=${user.username}`)
        .expect('Content-Type', /json/)
        .expect(200, {});
      await request(server.http)
        .post('/auth/lostPassword')
        .set('Accept', BROWSER_ACCEPT)
        .send({ username: user.username })
        .expect('Content-Type', /json/)
        .expect(200, {});
      const res = await request(server.http)
        .post('/auth/resetPassword')
        .type('form')
        .send('token=x&password=y')
        .expect(400);
      expect(res.body.code).toBe('invalid_token');
    });

    it('revokes outstanding links when the password is changed another way (the users CLI)', async () => {
      const user = await newUser(server);
      const token = await requestToken(server, user.username, user.email);
      expect(await server.users.changePasswordOf(user.username, STRONG)).toBe(
        true,
      );
      const page = await request(server.http)
        .get('/auth/resetPassword')
        .query({ token })
        .expect(200);
      expect(page.text).toContain('This link no longer works');
    });
  },
);

describe.each(testPlatforms())(
  'the standalone server with DEFAULT_LANGUAGE=de (%s)',
  (platform) => {
    let server: TestServer;

    beforeAll(async () => {
      server = await startTestServer(platform, testDatabases()[0], {
        env: { DEFAULT_LANGUAGE: 'de' },
      });
    });
    afterAll(() => server.close());

    it('speaks German to a browser that names no language it has, and in every mail; English to one that asks for it', async () => {
      const german = await request(server.http)
        .get('/auth/lostPassword')
        .set('Accept-Language', 'ja')
        .expect(200);
      expect(german.headers['content-language']).toBe('de');
      expect(german.text).toContain('<title>Passwort vergessen?</title>');
      const english = await request(server.http)
        .get('/auth/lostPassword')
        .set('Accept-Language', 'en-GB')
        .expect(200);
      expect(english.text).toContain('<title>Forgot your password?</title>');
      await request(server.http)
        .post('/auth/lostPassword')
        .send({})
        .expect(400, {
          statusCode: 400,
          error: 'Bad Request',
          message: 'username fehlt',
          code: 'invalid_request',
        });

      const user = await newUser(server);
      await request(server.http)
        .post('/auth/lostPassword')
        .send({ username: user.username })
        .expect(200, {});
      const [mail] = await server.smtp.waitForMails(user.email);
      expect(mail.parsed.subject).toBe('Passwort für Ihr Konto zurücksetzen');
      expect(mail.parsed.text).toContain(`Hallo ${user.username},`);
    });
  },
);
