import { createHash } from 'node:crypto';
import request from 'supertest';
import { testPlatformsAndDatabases } from '../support/platforms';
import {
  startTestServer,
  TestServer,
  TEST_RESET_URL,
} from '../support/harness';
import { claimsOf } from '../support/reset-links';
import { tokenFrom } from '../support/smtp-sink';
import { ResetRequestInbox } from '../../src/password-reset/requests/reset-request-inbox.service';

describe.each(testPlatformsAndDatabases())(
  'POST /auth/lostPassword (%s, %s)',
  (platform, databaseKind) => {
    let server: TestServer;

    beforeAll(async () => {
      server = await startTestServer(platform, databaseKind);
      await server.users.add(
        'alice',
        'Alice@Example.com',
        'correct horse battery staple',
      );
      await server.users.add(
        'bob',
        'bob@example.com',
        'correct horse battery staple',
      );
    });
    afterAll(() => server.close());
    beforeEach(() => server.smtp.mails.splice(0));

    it('answers 200 {} to JSON and mails the stored address a link to RESET_URL', async () => {
      await request(server.http)
        .post('/auth/lostPassword')
        .send({ username: 'alice' })
        .expect(200, {});
      const [mail] = await server.smtp.waitForMails('alice@example.com');
      expect(mail.parsed.subject).toContain('Reset your password');
      expect(mail.parsed.html).toContain(`href="${TEST_RESET_URL}?token`);
      const link = new URL(/https:\/\/\S+/.exec(mail.parsed.text ?? '')![0]);
      expect(link.origin + link.pathname).toBe(TEST_RESET_URL);
      expect(claimsOf(tokenFrom(mail))).toMatchObject({
        purpose: 'password-reset',
        sub: expect.any(String),
      });
    });

    it("takes the form body of the API document's examples at its exact URL, //auth/lostPassword, and an e-mail address as identifier", async () => {
      await request(server.http)
        .post('//auth/lostPassword')
        .type('form')
        .send('username=BOB%40Example.COM')
        .expect('Content-Type', /json/)
        .expect(200, {});
      const mails = await server.smtp.waitForMails('bob@example.com');
      expect(mails).toHaveLength(1);
    });

    it('answers an unknown user exactly like a known one, and sends no mail', async () => {
      const known = await request(server.http)
        .post('/auth/lostPassword')
        .send({ username: 'alice' });
      const unknown = await request(server.http)
        .post('/auth/lostPassword')
        .send({ username: 'mallory' });
      await server.settle();
      expect(unknown.status).toBe(known.status);
      expect(unknown.body).toEqual(known.body);
      const headerNames = (res: request.Response) =>
        Object.keys(res.headers)
          .filter((name) => name !== 'date')
          .sort();
      expect(headerNames(unknown)).toEqual(headerNames(known));
      expect(server.smtp.mails.map((mail) => mail.to)).toEqual([
        ['alice@example.com'],
      ]);
    });

    it.each([
      [
        "the API document examples' empty form body",
        'form',
        '',
        /username is required/,
      ],
      ['an empty JSON object', 'json', {}, /username is required/],
      [
        'an empty username',
        'json',
        { username: '' },
        /username must not be empty/,
      ],
      [
        'a blank username',
        'json',
        { username: '   ' },
        /username must not be empty/,
      ],
      ['a number', 'json', { username: 42 }, /username must be a string/],
      [
        'an array',
        'json',
        { username: ['alice'] },
        /username must be a string/,
      ],
      [
        'an object',
        'json',
        { username: { $ne: null } },
        /username must be a string/,
      ],
      [
        'an over-long username',
        'json',
        { username: 'a'.repeat(255) },
        /username must be at most 254 characters/,
      ],
      [
        'an unknown field',
        'json',
        { username: 'alice', admin: true },
        /property admin should not exist/,
      ],
    ])(
      'answers 400 naming username for %s',
      async (_case, type, body, message) => {
        const res = await request(server.http)
          .post('/auth/lostPassword')
          .type(type as string)
          .send(body as object)
          .expect(400);
        expect(res.body).toEqual({
          statusCode: 400,
          error: 'Bad Request',
          message: expect.stringMatching(message),
          code: 'invalid_request',
        });
      },
    );

    it('measures length as the database does: 254 characters each with a variation selector are 508 to it, and refused', async () => {
      const res = await request(server.http)
        .post('/auth/lostPassword')
        .send({ username: 'a\uFE0F'.repeat(254) })
        .expect(400);
      expect(res.body).toMatchObject({
        code: 'invalid_request',
        message: expect.stringMatching(/at most 254 characters/),
      });
      await request(server.http)
        .post('/auth/lostPassword')
        .send({ username: '\uD800alice' })
        .expect(400);
    });

    /** Twenty innocent requests and one more, sent together so that they share INSERTs; returns the odd one's answer. */
    let bursts = 0;
    async function burstWith(odd: string): Promise<request.Response> {
      const realUser = `burst-${(bursts += 1)}`;
      await server.users.add(
        realUser,
        `${realUser}@example.com`,
        'correct horse battery staple',
      );
      const innocent = Array.from({ length: 20 }, (_, i) =>
        i === 7 ? realUser : `nobody-${i}`,
      );
      const answers = await Promise.all(
        [...innocent, odd].map((username) =>
          request(server.http).post('/auth/lostPassword').send({ username }),
        ),
      );
      expect(answers.slice(0, 20).map((res) => res.status)).toEqual(
        Array(20).fill(200),
      );
      await server.smtp.waitForMails(`${realUser}@example.com`);
      return answers[20];
    }

    it('lets no over-long request fail the innocent requests that arrive with it', async () => {
      expect((await burstWith('a\uFE0F'.repeat(254))).status).toBe(400);
    });

    it('fails a row the database refuses on its own, even one validation let through', async () => {
      const refused = 'refused-by-the-database';
      const [create, drop] =
        databaseKind === 'sqlite'
          ? [
              `CREATE TRIGGER refuse_one BEFORE INSERT ON password_reset_requests WHEN NEW.identifier = '${refused}' BEGIN SELECT RAISE(ABORT, 'refused'); END`,
              'DROP TRIGGER refuse_one',
            ]
          : [
              `ALTER TABLE password_reset_requests ADD CONSTRAINT refuse_one CHECK (identifier <> '${refused}')`,
              `ALTER TABLE password_reset_requests DROP CONSTRAINT refuse_one`,
            ];
      await server.dataSource.query(create);
      try {
        expect((await burstWith(refused)).body).toEqual({
          statusCode: 400,
          error: 'Bad Request',
          message: 'username could not be stored',
          code: 'invalid_request',
        });
        // Recorded in one turn of the event loop, these certainly share an INSERT.
        const inbox = server.app.get(ResetRequestInbox);
        const outcomes = await Promise.allSettled(
          [
            ...Array.from({ length: 20 }, (_, i) => `innocent-${i}`),
            refused,
          ].map((name) => inbox.record(name)),
        );
        expect(outcomes.map((outcome) => outcome.status)).toEqual([
          ...Array(20).fill('fulfilled'),
          'rejected',
        ]);
      } finally {
        await server.dataSource.query(drop);
      }
    });

    it('keeps only a hash of the token: neither the raw token nor the link is anywhere in the database', async () => {
      await request(server.http)
        .post('/auth/lostPassword')
        .send({ username: 'alice' })
        .expect(200);
      const [mail] = await server.smtp.waitForMails('alice@example.com');
      const jwt = tokenFrom(mail);
      const claims = claimsOf(jwt);
      const raw = Buffer.from(claims.tok, 'base64url');
      expect(raw).toHaveLength(32);
      const rows = await server.dataSource.query(
        'SELECT * FROM password_reset_tokens',
      );
      const row = rows.find(
        (candidate: { id: string }) => candidate.id === claims.jti,
      );
      expect(row.token_hash).toBe(
        createHash('sha256').update(raw).digest('hex'),
      );
      const everything = JSON.stringify([
        rows,
        await server.dataSource.query('SELECT * FROM password_reset_outbox'),
        await server.dataSource.query('SELECT * FROM password_reset_requests'),
      ]);
      for (const secret of [
        claims.tok as string,
        raw.toString('hex'),
        raw.toString('base64'),
        jwt,
      ]) {
        expect(everything).not.toContain(secret);
      }
    });

    it('forgets expired tokens and delivered mails after seven days', async () => {
      await request(server.http)
        .post('/auth/lostPassword')
        .send({ username: 'bob' })
        .expect(200);
      await server.smtp.waitForMails('bob@example.com');
      // The mail is recorded as sent only after it arrived; a prune before that would leave it for an hour.
      await server.settle();
      const count = async (table: string) =>
        Number(
          (
            await server.dataSource.query(`SELECT COUNT(*) AS n FROM ${table}`)
          )[0].n,
        );
      expect(await count('password_reset_tokens')).toBeGreaterThan(0);
      server.clock.advance(8 * 24 * 60 * 60 * 1000);
      try {
        while (
          (await count('password_reset_tokens')) +
            (await count('password_reset_outbox')) >
          0
        ) {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      } finally {
        server.clock.advance(-8 * 24 * 60 * 60 * 1000);
      }
    });

    it('deletes the request rows once processed', async () => {
      await request(server.http)
        .post('/auth/lostPassword')
        .send({ username: 'someone-who-does-not-exist' })
        .expect(200);
      await server.settle();
      expect(
        await server.dataSource.query('SELECT * FROM password_reset_requests'),
      ).toEqual([]);
    });
  },
);

// What the mail says is the subject, not HTTP: Express and SQLite only.
describe.each([
  ['20s', 'en', 'The link works once and expires in 20 seconds.'],
  ['1s', 'en', 'The link works once and expires in 1 second.'],
  ['90s', 'en', 'The link works once and expires in 90 seconds.'],
  ['150s', 'en', 'The link works once and expires in 2 minutes.'],
  ['30m', 'en', 'The link works once and expires in 30 minutes.'],
  ['20s', 'de', 'Der Link funktioniert einmal und läuft in 20 Sekunden ab.'],
  ['1s', 'de', 'Der Link funktioniert einmal und läuft in 1 Sekunde ab.'],
  ['179s', 'de', 'Der Link funktioniert einmal und läuft in 2 Minuten ab.'],
])(
  'the reset mail of a link that lives %s, in %s',
  (ttl, language, sentence) => {
    let server: TestServer;

    beforeAll(async () => {
      server = await startTestServer('express', 'sqlite', {
        env: { RESET_TOKEN_TTL: ttl, DEFAULT_LANGUAGE: language },
      });
      await server.users.add(
        'alice',
        'alice@example.com',
        'correct horse battery staple',
      );
    });
    afterAll(() => server.close());

    it('says how long it works, never longer than true and never 0', async () => {
      await request(server.http)
        .post('/auth/lostPassword')
        .send({ username: 'alice' })
        .expect(200, {});
      const [mail] = await server.smtp.waitForMails('alice@example.com');
      expect(mail.parsed.text).toContain(`\n${sentence}\n`);
      expect(mail.parsed.html).toContain(`<p>${sentence}</p>`);
    });
  },
);
