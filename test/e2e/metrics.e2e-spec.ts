import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { Controller, Get, Header, Injectable } from '@nestjs/common';
import { Counter, Registry } from 'prom-client';
import request from 'supertest';
import { DataSource } from 'typeorm';
import {
  PasswordResetMetrics,
  PasswordResetUser,
  PasswordResetUserStore,
} from '../../src';
import { MetricsListener } from '../../src/standalone/metrics/metrics-listener';
import { mailQueueStatus } from '../../src/password-reset/mail/mail-queue';
import { OutboxMail } from '../../src/password-reset/mail/outbox-mail.entity';
import { testDatabases } from '../support/databases';
import { eventually } from '../support/eventually';
import { newUser } from '../support/flow';
import { startTestServer, TestServer } from '../support/harness';
import { MountedHost, mountedHost } from '../support/host-app';
import { testPlatforms } from '../support/platforms';
import { parsePrometheusText, valueOf } from '../support/prometheus-text';
import { freePort, ServerProcess } from '../support/server-process';
import { tokenFrom } from '../support/smtp-sink';

/** The standalone server's metrics listener, which the tests open on a port the system picks. */
const METRICS_ON_ANY_PORT = { METRICS: 'true', METRICS_PORT: '0' };

function metricsListenerOf(server: TestServer): string {
  return `http://127.0.0.1:${server.app.get(MetricsListener).address.port}`;
}

async function scrape(server: TestServer) {
  const res = await request(metricsListenerOf(server))
    .get('/metrics')
    .expect(200);
  return parsePrometheusText(res.text);
}

// What is counted is the subject, not the platform: Express only.
describe.each(testDatabases())('GET /metrics (%s)', (databaseKind) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer('express', databaseKind, {
      env: { ...METRICS_ON_ANY_PORT, IP_RATE_LIMIT: '4' },
    });
  });
  afterAll(() => server.close());

  it('counts what happened, in Prometheus text, without naming a user or a token', async () => {
    const user = await newUser(server);
    const statuses: number[] = [];
    const lostPassword = async (body: object | string) => {
      const res = await request(server.http)
        .post('/auth/lostPassword')
        .set('content-type', 'application/json')
        .send(typeof body === 'string' ? body : JSON.stringify(body));
      statuses.push(res.status);
    };
    await lostPassword({ username: user.username });
    await lostPassword({ username: user.email });
    await lostPassword({});
    await lostPassword(JSON.stringify({ username: 'x'.repeat(9000) }));
    while (!statuses.includes(429) && statuses.length < 20)
      await lostPassword({ username: 'nobody-at-all' });
    const tally = (status: number) =>
      statuses.filter((answered) => answered === status).length;
    expect([tally(400), tally(413), tally(429)]).toEqual([1, 1, 1]);

    const mails = await server.smtp.waitForMails(user.email, 2);
    const token = tokenFrom(mails[1]);
    await request(server.http)
      .post('/auth/resetPassword')
      .send({ token: 'not-a-token', password: 'a fine new password 123' })
      .expect(400);
    await request(server.http)
      .post('/auth/resetPassword')
      .send({ token, password: 'password' })
      .expect(400);
    await request(server.http)
      .post('/auth/resetPassword')
      .send({ token, password: 'a fine new password 123' })
      .expect(200);
    await server.settle();
    await server.smtp.waitForMails(user.email, 3);

    const res = await request(metricsListenerOf(server))
      .get('/metrics')
      .expect(200);
    expect(res.headers['content-type']).toMatch(
      /^text\/plain; version=0\.0\.4/,
    );
    const samples = parsePrometheusText(res.text);
    expect(valueOf(samples, 'password_reset_requests_accepted_total')).toBe(
      tally(200),
    );
    for (const status of [400, 413, 429])
      expect(
        valueOf(samples, 'password_reset_requests_refused_total', {
          status: String(status),
        }),
      ).toBe(tally(status));
    expect(valueOf(samples, 'password_reset_resets_total')).toBe(1);
    expect(
      valueOf(samples, 'password_reset_resets_refused_total', {
        code: 'invalid_token',
      }),
    ).toBe(1);
    expect(
      valueOf(samples, 'password_reset_resets_refused_total', {
        code: 'weak_password',
      }),
    ).toBe(1);
    expect(
      valueOf(samples, 'password_reset_mails_sent_total', {
        kind: 'reset-password',
      }),
    ).toBe(2);
    expect(
      valueOf(samples, 'password_reset_mails_sent_total', {
        kind: 'password-changed',
      }),
    ).toBe(1);
    expect(
      valueOf(samples, 'password_reset_mails_dead_total', {
        kind: 'reset-password',
      }),
    ).toBe(0);
    expect(
      valueOf(samples, 'password_reset_mail_delivery_seconds_count', {
        kind: 'reset-password',
      }),
    ).toBe(2);
    expect(
      valueOf(samples, 'password_reset_mail_delivery_seconds_bucket', {
        kind: 'reset-password',
        le: '+Inf',
      }),
    ).toBe(2);
    expect(
      valueOf(samples, 'password_reset_queue_mails', {
        kind: 'reset-password',
        status: 'sent',
      }),
    ).toBe(2);
    expect(
      valueOf(samples, 'password_reset_queue_mails', {
        kind: 'reset-password',
        status: 'pending',
      }),
    ).toBe(0);
    expect(valueOf(samples, 'password_reset_queue_requests')).toBe(0);
    for (const secret of [
      user.username,
      user.email,
      token,
      token.split('.')[1],
      'nobody-at-all',
    ])
      expect(res.text).not.toContain(secret);
  });
});

/**
 * A known name makes a mail and so moves the counters; an unknown one does
 * not. Whoever can read them while sending requests learns which names have
 * an account, so the public listener must not serve them.
 */
describe.each(testPlatforms())(
  'the metrics, seen from the public port (%s)',
  (platform) => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer(platform, 'sqlite', {
        env: METRICS_ON_ANY_PORT,
      });
    });
    afterAll(() => server.close());

    it('are not there, before or after requests for known and unknown names; their own loopback listener has them, and nothing else', async () => {
      const publicMetrics = async () => {
        for (const path of [
          '/metrics',
          '//metrics',
          '/metrics/',
          '/Metrics',
          '/metrics?name[]=x',
        ]) {
          const res = await request(server.http).get(path).expect(404);
          expect(res.text).not.toContain('password_reset_');
        }
        await request(server.http).head('/metrics').expect(404);
      };
      const user = await newUser(server);
      await publicMetrics();
      for (const username of [user.username, 'nobody-at-all'])
        await request(server.http)
          .post('/auth/lostPassword')
          .send({ username })
          .expect(200, {});
      await server.smtp.waitForMails(user.email, 1);
      await server.settle();
      await publicMetrics();

      const listener = server.app.get(MetricsListener).address;
      expect(listener.address).toBe('127.0.0.1');
      expect(
        valueOf(await scrape(server), 'password_reset_mails_sent_total', {
          kind: 'reset-password',
        }),
      ).toBe(1);
      await request(metricsListenerOf(server))
        .post('/auth/lostPassword')
        .send({ username: user.username })
        .expect(404);
      await request(metricsListenerOf(server)).get('/health').expect(404);
      await request(metricsListenerOf(server))
        .post('/metrics')
        .expect(405)
        .expect('allow', 'GET, HEAD');
    });
  },
);

describe('the metrics listener with METRICS_TOKEN', () => {
  const token = 'a-scrape-token-of-at-least-thirty-two-characters';
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer('express', 'sqlite', {
      env: { ...METRICS_ON_ANY_PORT, METRICS_TOKEN: token },
    });
  });
  afterAll(() => server.close());

  it('answers only a scraper that sends the token', async () => {
    const metrics = () => request(metricsListenerOf(server)).get('/metrics');
    for (const authorization of [
      undefined,
      `Bearer ${token.slice(0, -1)}`,
      `Bearer ${token}x`,
      `Basic ${token}`,
      'Bearer',
      `Bearer ${token} ${token}`,
    ]) {
      const res = await (
        authorization === undefined
          ? metrics()
          : metrics().set('authorization', authorization)
      ).expect(401);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
      expect(res.body).toEqual({
        statusCode: 401,
        error: 'Unauthorized',
        message: expect.any(String),
      });
    }
    const res = await metrics()
      .set('authorization', `Bearer ${token}`)
      .expect(200);
    expect(
      valueOf(
        parsePrometheusText(res.text),
        'password_reset_requests_accepted_total',
      ),
    ).toBe(0);
  });
});

describe('the built server with METRICS=true', () => {
  let server: ServerProcess;
  let metricsPort: number;
  beforeAll(async () => {
    metricsPort = await freePort();
    server = await ServerProcess.create({
      METRICS: 'true',
      METRICS_PORT: String(metricsPort),
      JWT_SECRET: 'metrics-test-secret-metrics-test-secret-metrics',
    });
    await server.start();
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    if (server) rmSync(server.cwd, { recursive: true, force: true });
  });

  it('serves them on METRICS_PORT, on loopback, and not on PORT', async () => {
    await request(server.baseUrl).get('/metrics').expect(404);
    const res = await request(`http://127.0.0.1:${metricsPort}`)
      .get('/metrics')
      .expect(200);
    expect(
      valueOf(
        parsePrometheusText(res.text),
        'password_reset_requests_accepted_total',
      ),
    ).toBe(0);
    expect(server.output).toContain(
      `Metrics on http://127.0.0.1:${metricsPort}/metrics`,
    );
  });
});

describe('GET /metrics, not switched on', () => {
  it('is not there', async () => {
    const server = await startTestServer('express', 'sqlite');
    try {
      await request(server.http).get('/metrics').expect(404);
    } finally {
      await server.close();
    }
  });
});

/** A host's own accounts: one, known by its e-mail address. */
@Injectable()
class OneAccount implements PasswordResetUserStore {
  private readonly account: PasswordResetUser = {
    id: 'acct-1',
    email: 'ida@host.example',
  };
  async findByIdentifier(
    identifier: string,
  ): Promise<PasswordResetUser | null> {
    return identifier === this.account.email ? this.account : null;
  }
  async findById(id: string): Promise<PasswordResetUser | null> {
    return id === this.account.id ? this.account : null;
  }
  async setPassword(): Promise<void> {}
}

/** A host's own metrics, with the module's merged in; a real host serves them behind its own rule on who may read them. */
@Injectable()
class HostMetrics {
  readonly registry: Registry;
  constructor(moduleMetrics: PasswordResetMetrics) {
    const own = new Registry();
    new Counter({
      name: 'host_sign_ins_total',
      help: 'sign-ins, a counter of the host itself',
      registers: [own],
    }).inc();
    this.registry = Registry.merge([own, moduleMetrics.registry]);
  }
}

@Controller('internal')
class HostMetricsController {
  constructor(private readonly metrics: HostMetrics) {}

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}

describe.each(testPlatforms())(
  'metrics: true in a mounted host (%s)',
  (platform) => {
    let host: MountedHost;

    beforeAll(async () => {
      host = await mountedHost({
        platform,
        userStore: OneAccount,
        extras: { metrics: true },
        controllers: [HostMetricsController],
        providers: [HostMetrics],
      });
    });
    afterAll(() => host.close());

    it('adds no route: the host serves the registry it is given where it decides, queue gauges included', async () => {
      await host.get('/metrics').expect(404);
      await host
        .post('/auth/lostPassword')
        .send({ username: 'ida@host.example' })
        .expect(200, {});
      await host.smtp.waitForMails('ida@host.example', 1);
      await eventually(async () =>
        expect(
          await host.dataSource
            .getRepository(OutboxMail)
            .countBy({ status: 'sent' }),
        ).toBe(1),
      );
      await host.get('/metrics').expect(404);
      const res = await host.get('/internal/metrics').expect(200);
      const samples = parsePrometheusText(res.text);
      expect(valueOf(samples, 'host_sign_ins_total')).toBe(1);
      expect(valueOf(samples, 'password_reset_requests_accepted_total')).toBe(
        1,
      );
      expect(
        valueOf(samples, 'password_reset_mails_sent_total', {
          kind: 'reset-password',
        }),
      ).toBe(1);
      expect(
        valueOf(samples, 'password_reset_queue_mails', {
          kind: 'reset-password',
          status: 'sent',
        }),
      ).toBe(1);
    });
  },
);

const SENT_ROWS = 200_000;
const SCRAPERS = 8;
/** Each scraper's pause between scrapes: together 80 a second at most, over a thousand times what Prometheus asks. */
const SCRAPE_PAUSE_MS = 100;
const WINDOWS = 4;
const SAMPLES_PER_WINDOW = 10;
const WEEK_MS = 7 * 24 * 60 * 60 * 1000;

/** 0 to 9,999 as rows of `n`, from four tables of digits, in SQL that every database here speaks. */
const DIGITS = `(${Array.from({ length: 10 }, (_, digit) => `SELECT ${digit} AS d`).join(' UNION ALL ')})`;
const TEN_THOUSAND = `SELECT d0.d + 10 * d1.d + 100 * d2.d + 1000 * d3.d AS n FROM ${DIGITS} d0, ${DIGITS} d1, ${DIGITS} d2, ${DIGITS} d3`;

/**
 * A week of sent mail, as the per-account limit keeps it, written straight
 * into the table ten thousand rows to a statement: one every few seconds of
 * the week, so about 1,200 in the last hour.
 */
async function insertSentMail(
  dataSource: DataSource,
  now: number,
): Promise<void> {
  for (let first = 0; first < SENT_ROWS; first += 10_000) {
    const sentAt = `${now} - (${first} + n) * ${Math.floor(WEEK_MS / SENT_ROWS)}`;
    await dataSource.query(
      `INSERT INTO password_reset_outbox (kind, user_id, created_at, status, attempts, next_attempt_at, sent_at)
       SELECT 'reset-password', ${first} + n, ${sentAt}, 'sent', 1, ${sentAt}, ${sentAt} FROM (${TEN_THOUSAND}) numbers`,
    );
  }
}

/**
 * What in the statement's plan reads the week of sent mail rather than the
 * last hour's, in the database's own words: a full scan of the outbox, or (on
 * SQLite, whose plan has no row counts) sent mail not found by its time sent,
 * or (on MariaDB) an estimate of most of the table's rows.
 */
async function weekReadingSteps(
  dataSource: DataSource,
  sql: string,
  parameters: unknown[] | undefined,
): Promise<string[]> {
  switch (dataSource.options.type) {
    case 'better-sqlite3': {
      const plan: Array<{ detail: string }> = await dataSource.query(
        `EXPLAIN QUERY PLAN ${sql}`,
        parameters,
      );
      const details = plan.map(({ detail }) => detail);
      const scans = details.filter((detail) =>
        /^SCAN (mail|password_reset_outbox)\b/.test(detail),
      );
      const sentMailByTime =
        !sql.includes('sent_at') ||
        details.some((detail) => detail.includes('sent_at>?'));
      return sentMailByTime
        ? scans
        : [...scans, `sent mail not found by sent_at: ${details.join('; ')}`];
    }
    case 'postgres': {
      await dataSource.query('ANALYZE password_reset_outbox');
      const plan: Array<{ 'QUERY PLAN': string }> = await dataSource.query(
        `EXPLAIN ${sql}`,
        parameters,
      );
      return plan
        .map((line) => line['QUERY PLAN'])
        .filter((line) => line.includes('Seq Scan on password_reset_outbox'));
    }
    default: {
      await dataSource.query('ANALYZE TABLE password_reset_outbox');
      const plan: Array<{ table: string; type: string; rows: string }> =
        await dataSource.query(`EXPLAIN ${sql}`, parameters);
      return plan
        .filter(
          ({ table, type, rows }) =>
            table === 'mail' &&
            (type === 'ALL' || Number(rows) > SENT_ROWS / 10),
        )
        .map((step) => JSON.stringify(step));
    }
  }
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function durationsMs(
  samples: number,
  run: (sample: number) => Promise<unknown>,
): Promise<number[]> {
  const durations: number[] = [];
  for (let sample = 0; sample < samples; sample += 1) {
    const started = performance.now();
    await run(sample);
    durations.push(performance.now() - started);
  }
  return durations;
}

/**
 * Scrapers as a monitoring system, or an attacker, runs them: in a thread of
 * their own, not on the server's event loop, each on a kept-alive connection.
 * They scrape while switched on; `stop` ends them and tells how many scrapes they made.
 */
function startScrapers(url: string): {
  switchOn: (on: boolean) => void;
  stop: () => Promise<number>;
} {
  const worker = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
    const { Agent, get } = require('node:http');
    const agent = new Agent({ keepAlive: true });
    let state = 'off';
    let scrapes = 0;
    parentPort.on('message', (next) => (state = next));
    const pause = () => new Promise((resolve) => setTimeout(resolve, workerData.pauseMs));
    const scrape = () => new Promise((resolve, reject) => get(workerData.url, { agent }, (res) => res.resume().on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(String(res.statusCode)))))).on('error', reject));
    const scraper = async () => {
      while (state !== 'stop') {
        if (state === 'on') {
          await scrape();
          scrapes += 1;
        }
        await pause();
      }
    };
    Promise.all(Array.from({ length: workerData.scrapers }, scraper)).then(() => parentPort.postMessage(scrapes), (error) => parentPort.postMessage(error.message));`,
    {
      eval: true,
      workerData: { url, scrapers: SCRAPERS, pauseMs: SCRAPE_PAUSE_MS },
    },
  );
  const result = once(worker, 'message');
  return {
    switchOn: (on) => worker.postMessage(on ? 'on' : 'off'),
    stop: async () => {
      worker.postMessage('stop');
      const [scrapes] = await result;
      await worker.terminate();
      if (typeof scrapes !== 'number')
        throw new Error(`a scrape failed: ${scrapes}`);
      return scrapes;
    },
  };
}

// The request path under a flood of scrapes is the subject, not HTTP: Express only.
describe.each(testDatabases())(
  'the queue gauges, with a week of sent mail (%s)',
  (databaseKind) => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer('express', databaseKind, {
        env: METRICS_ON_ANY_PORT,
      });
      await insertSentMail(server.dataSource, server.clock.now());
    }, 120_000);
    afterAll(() => server.close());

    // Quiet and scraped windows take turns, so that what else the machine does weighs on both alike.
    it(`leave lostPassword's median within twice its time while ${SCRAPERS} scrapers scrape`, async () => {
      expect(
        valueOf(await scrape(server), 'password_reset_queue_mails', {
          kind: 'reset-password',
          status: 'sent',
        }),
      ).toBeGreaterThan(1000);
      const lostPassword = (sample: number) =>
        request(server.http)
          .post('/auth/lostPassword')
          .send({ username: `someone-${sample}` })
          .expect(200, {});
      const scrapers = startScrapers(`${metricsListenerOf(server)}/metrics`);
      const quiet: number[] = [];
      const scraped: number[] = [];
      try {
        await durationsMs(SAMPLES_PER_WINDOW, lostPassword);
        for (let window = 0; window < WINDOWS; window += 1) {
          scrapers.switchOn(false);
          quiet.push(...(await durationsMs(SAMPLES_PER_WINDOW, lostPassword)));
          scrapers.switchOn(true);
          // Every scraper under way before the first sample, however fast the samples are on this machine.
          await new Promise((resolve) =>
            setTimeout(resolve, 3 * SCRAPE_PAUSE_MS),
          );
          scraped.push(
            ...(await durationsMs(SAMPLES_PER_WINDOW, lostPassword)),
          );
        }
      } finally {
        expect(await scrapers.stop()).toBeGreaterThan(WINDOWS * SCRAPERS);
      }
      expect(median(scraped) / median(quiet)).toBeLessThan(2);
    }, 120_000);

    /**
     * The status is read afresh once every few seconds (SharedQueueStatus), on
     * SQLite holding the event loop meanwhile: its queries must find the last
     * hour's mail through an index, not scan the week the table keeps. Each
     * query it makes is asked for its plan, with the statistics a database
     * keeps up to date by itself.
     */
    it('read the queue through indexes, not a scan of the week of sent mail', async () => {
      const statements: Array<[string, unknown[] | undefined]> = [];
      const runner = server.dataSource.createQueryRunner();
      const query = runner.query.bind(runner);
      runner.query = ((
        sql: string,
        parameters?: unknown[],
        ...rest: unknown[]
      ) => {
        statements.push([sql, parameters]);
        return (query as (...args: unknown[]) => Promise<unknown>)(
          sql,
          parameters,
          ...rest,
        );
      }) as typeof runner.query;
      try {
        await mailQueueStatus(runner.manager, server.clock.now());
      } finally {
        await runner.release();
      }
      const outboxStatements = statements.filter(([sql]) =>
        sql.includes('password_reset_outbox'),
      );
      expect(outboxStatements.length).toBeGreaterThan(0);
      for (const [sql, parameters] of outboxStatements)
        expect(
          await weekReadingSteps(server.dataSource, sql, parameters),
        ).toEqual([]);
    }, 120_000);
  },
);
