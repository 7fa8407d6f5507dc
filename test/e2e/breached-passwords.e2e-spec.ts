import { createHash, randomBytes } from 'node:crypto';
import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { EventEmitter2 } from '@nestjs/event-emitter';
import request from 'supertest';
import { PasswordResetEvents, PasswordResetRefusedEvent } from '../../src';
import { MetricsListener } from '../../src/standalone/metrics/metrics-listener';
import { newUser, requestToken } from '../support/flow';
import { startTestServer, TestServer } from '../support/harness';
import { testPlatforms } from '../support/platforms';
import { parsePrometheusText, valueOf } from '../support/prometheus-text';

const sha1 = (password: string) =>
  createHash('sha1').update(password, 'utf8').digest('hex').toUpperCase();

/** A Pwned Passwords range service on loopback: it can be down, slow or talk nonsense, and keeps what it was asked. */
class RangeService {
  behaviour: 'answer' | 'slow' | 'garbage' | 'error' = 'answer';
  readonly received: {
    method: string;
    url: string;
    headers: IncomingHttpHeaders;
    body: string;
  }[] = [];
  private readonly breached = new Map<string, number>();
  /** Hashes the answer lists with the count 0, as the service pads its answers. */
  private readonly padding = new Set<string>();
  private server?: Server;
  private port = 0;

  list(password: string, count: number): void {
    this.breached.set(sha1(password), count);
  }

  padWith(password: string): void {
    this.padding.add(sha1(password));
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        this.received.push({
          method: req.method!,
          url: req.url!,
          headers: req.headers,
          body,
        });
        if (this.behaviour === 'slow')
          return void setTimeout(() => res.end(this.rangeOf(req.url!)), 3000);
        if (this.behaviour === 'garbage')
          return void res.end('<html><body>Service busy</body></html>');
        if (this.behaviour === 'error') return void res.writeHead(503).end();
        res.end(this.rangeOf(req.url!));
      });
    });
    await new Promise<void>((resolve) =>
      this.server!.listen(this.port, '127.0.0.1', resolve),
    );
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  private rangeOf(url: string): string {
    const prefix = /^\/range\/([0-9A-F]{5})$/.exec(url)?.[1] ?? '';
    const lines = [...this.breached]
      .filter(([hash]) => hash.startsWith(prefix))
      .map(([hash, count]) => `${hash.slice(5)}:${count}`);
    for (const hash of this.padding)
      if (hash.startsWith(prefix)) lines.push(`${hash.slice(5)}:0`);
    for (let i = 0; i < 5; i++)
      lines.push(
        `${randomBytes(18).toString('hex').slice(0, 35).toUpperCase()}:${i}`,
      );
    return lines.join('\r\n');
  }
}

describe.each(testPlatforms())(
  'new passwords checked against a breached-password range service (%s)',
  (platform) => {
    let server: TestServer;
    let range: RangeService;
    const refusals: PasswordResetRefusedEvent[] = [];

    beforeAll(async () => {
      range = await new RangeService().start();
      server = await startTestServer(platform, 'sqlite', {
        env: {
          BREACHED_PASSWORDS_URL: `${range.url}/`,
          METRICS: 'true',
          METRICS_PORT: '0',
        },
      });
      server.app
        .get(EventEmitter2)
        .on(PasswordResetEvents.refused, (event: PasswordResetRefusedEvent) =>
          refusals.push(event),
        );
    });
    afterAll(async () => {
      await server.close();
      await range.stop();
    });

    const reset = (token: string, password: string) =>
      request(server.http)
        .post('/auth/resetPassword')
        .send({ token, password });
    const skippedChecks = () =>
      server.logs.lines.filter(
        (line) =>
          line.startsWith('warn') &&
          line.includes(
            'Breached-password check skipped, the password is let through',
          ),
      );

    async function failuresCounted(reason: string) {
      const res = await request(
        `http://127.0.0.1:${server.app.get(MetricsListener).address.port}`,
      )
        .get('/metrics')
        .expect(200);
      return valueOf(
        parsePrometheusText(res.text),
        'password_reset_breach_check_failures_total',
        { reason },
      );
    }

    async function linkOfNewUser() {
      const user = await newUser(server);
      return {
        user,
        token: await requestToken(server, user.username, user.email),
      };
    }

    it('refuses a listed password as weak_password, saying it appeared in a data breach (English and German), and the link stays usable', async () => {
      const breachedPassword = 'velvet harbour compass 1942 tundra';
      range.list(breachedPassword, 1234);
      const { user, token } = await linkOfNewUser();

      const refused = await reset(token, breachedPassword).expect(400);
      expect(refused.body).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        code: 'weak_password',
        message:
          'password appeared in a data breach, so attackers try it first; choose another',
        reasons: [
          'password appeared in a data breach, so attackers try it first; choose another',
        ],
      });
      const inGerman = await reset(token, breachedPassword)
        .set('Accept-Language', 'de')
        .expect(400);
      expect(inGerman.body.reasons).toEqual([
        'das Passwort ist in einem Datenleck aufgetaucht und wird deshalb zuerst durchprobiert; wählen Sie ein anderes',
      ]);
      await new Promise((resolve) => setImmediate(resolve));
      expect(refusals.at(-1)).toMatchObject({ reason: 'breached_password' });

      await request(server.http)
        .post('/auth/resetPassword/check')
        .send({ token })
        .expect(200);
      await reset(token, 'amber lighthouse saddle 1977 quartz').expect(200, {});
      expect(
        await server.users.verify(
          user.username,
          'amber lighthouse saddle 1977 quartz',
        ),
      ).toBe(true);
    });

    it('sends only the first five hex digits of the SHA-1, with Add-Padding: true, and caches the answer for five minutes', async () => {
      const password = 'crimson glacier ladder 1963 orchid';
      const { token } = await linkOfNewUser();
      const before = range.received.length;
      await reset(token, password).expect(200, {});
      const asked = range.received.slice(before);
      expect(asked).toHaveLength(1);
      expect(asked[0]).toMatchObject({
        method: 'GET',
        url: `/range/${sha1(password).slice(0, 5)}`,
        body: '',
      });
      expect(asked[0].headers['add-padding']).toBe('true');
      const everything = JSON.stringify(asked[0]);
      expect(everything).not.toContain(sha1(password).slice(5));
      expect(everything.toLowerCase()).not.toContain(password.toLowerCase());

      const again = await linkOfNewUser();
      await reset(again.token, password).expect(200, {});
      expect(range.received.length).toBe(before + 1);
      server.clock.advance(5 * 60 * 1000 + 1000);
      const later = await linkOfNewUser();
      await reset(later.token, password).expect(200, {});
      expect(range.received.length).toBe(before + 2);
    });

    it('lets through a password the answer lists only as padding (count 0)', async () => {
      const password = 'silver meadow trumpet 1958 falcon';
      range.padWith(password);
      const { token } = await linkOfNewUser();
      await reset(token, password).expect(200, {});
      expect(skippedChecks()).toEqual([]);
      for (const reason of ['unreachable', 'timeout', 'malformed'])
        expect(await failuresCounted(reason)).toBe(0);
    });

    it.each([
      [
        'garbage',
        'answered something that is not SUFFIX:COUNT lines',
        'malformed',
      ],
      ['error', 'answered 503', 'unreachable'],
      ['slow', 'no answer within 2000 ms', 'timeout'],
    ] as const)(
      'lets the reset through when the service answers %s, logs a warning that it %s and counts it as %s',
      async (behaviour, reason, counted) => {
        const password = `${behaviour} opal canyon whistle 1971`;
        range.list(password, 99);
        range.behaviour = behaviour;
        try {
          const { token } = await linkOfNewUser();
          const warningsBefore = skippedChecks().length;
          const countedBefore = await failuresCounted(counted);
          await reset(token, password).expect(200, {});
          expect(skippedChecks().slice(warningsBefore)).toEqual([
            expect.stringContaining(reason),
          ]);
          expect(await failuresCounted(counted)).toBe(countedBefore + 1);
        } finally {
          range.behaviour = 'answer';
        }
      },
    );

    it('lets the reset through when the service is down, logs a warning and counts it as unreachable', async () => {
      const password = 'cobalt prairie lantern 1966 heron';
      range.list(password, 99);
      const { token } = await linkOfNewUser();
      await range.stop();
      try {
        const warningsBefore = skippedChecks().length;
        const countedBefore = await failuresCounted('unreachable');
        await reset(token, password).expect(200, {});
        expect(await failuresCounted('unreachable')).toBe(countedBefore + 1);
        expect(skippedChecks().slice(warningsBefore)).toEqual([
          expect.stringMatching(
            /could not be asked: fetch failed \(ECONNREFUSED\)/,
          ),
        ]);
      } finally {
        await range.start();
      }
    });
  },
);
