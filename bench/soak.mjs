// Soak: the built standalone server on PostgreSQL with production settings
// (NODE_ENV=production, a real SMTP server on loopback), under a steady
// open-loop load for a fixed time: lostPassword at a fixed rate over many
// accounts, and resets made with links taken from the mail that arrives.
// Requests are sent on a fixed schedule whatever the answers' speed, so a slow
// server shows up as latency instead of slowing the load down.
//
// Every report interval it prints the server's resident memory, its CPU share,
// lostPassword p50/p99 in that interval, the mail backlog and the table sizes.
// At the end it waits for the backlog to drain and checks that nothing was lost
// or repeated: every account got exactly min(accepted, account limit) reset
// mails (an account that was reset: at least one, as what was still queued
// then is dropped), no Message-ID arrived twice, every used link is dead, the backlog is
// empty, and resident memory does not grow (a least-squares slope, in MiB per
// minute, through the medians of one-second samples of each interval: each
// scrypt hash holds 32 MiB for a moment, so single samples jump).
//
// `npm run bench -- soak --minutes 10` (at most 50, so that the per-account
// limit's hour never rolls over); `--seconds N` for a smoke run. Settings:
// SOAK_RATE lostPassword requests a second (100), SOAK_RESET_RATE resets a
// second (2), SOAK_ACCOUNTS (3000), SOAK_REPORT_SECONDS (30), SOAK_MAX_SLOPE
// MiB/min allowed (2). The per-IP limits are off: all load comes from one address.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { resetTokenIn, startSmtpSink } from '../test/package/smtp-sink.mjs';
import {
  addUsersSharingOneHash,
  envInteger,
  markdownTable,
  removeServerDir,
  residentMiB,
  startStandaloneServer,
  stopServer,
  withPostgresDatabase,
} from './support.mjs';

const PASSWORD = 'a long soak password';
const ACCOUNT_LIMIT = 3;
const DRAIN_TIMEOUT_MS = 10 * 60_000;
const REQUEST_TIMEOUT_MS = 30_000;
const CLOCK_TICKS_PER_SECOND = 100;

function durationFromArguments(argv) {
  const minutes = argv.indexOf('--minutes');
  const seconds = argv.indexOf('--seconds');
  if (minutes >= 0) {
    const value = Number(argv[minutes + 1]);
    if (!(value > 0 && value <= 50))
      throw new Error('--minutes takes a number from 1 to 50');
    return value * 60;
  }
  if (seconds >= 0) {
    const value = Number(argv[seconds + 1]);
    if (!(Number.isInteger(value) && value >= 5 && value <= 3000))
      throw new Error('--seconds takes a whole number from 5 to 3000');
    return value;
  }
  return 10 * 60;
}

/** A keep-alive HTTP client that resolves with status and latency, and never rejects: a failure is a result. */
function client(baseUrl) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  return (path, body) =>
    new Promise((resolve) => {
      const payload = JSON.stringify(body);
      const startedAt = performance.now();
      const request = http.request(`${baseUrl}${path}`, {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
        },
        timeout: REQUEST_TIMEOUT_MS,
      });
      request.on('response', (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk) => (text += chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode,
            text,
            ms: performance.now() - startedAt,
          }),
        );
      });
      request.on('timeout', () => request.destroy(new Error('timed out')));
      request.on('error', (error) =>
        resolve({
          status: 0,
          text: String(error.message),
          ms: performance.now() - startedAt,
        }),
      );
      request.end(payload);
    });
}

/** The process's user + system CPU seconds so far, from /proc (Linux). */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8')
    .split(') ')[1]
    .split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

const median = (values) => {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};
const percentile = (values, p) => {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[
    Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)
  ];
};

/** Least-squares slope of y over x. */
function slope(points) {
  if (points.length < 2) return 0;
  const meanX = points.reduce((sum, [x]) => sum + x, 0) / points.length;
  const meanY = points.reduce((sum, [, y]) => sum + y, 0) / points.length;
  const covariance = points.reduce(
    (sum, [x, y]) => sum + (x - meanX) * (y - meanY),
    0,
  );
  const variance = points.reduce((sum, [x]) => sum + (x - meanX) ** 2, 0);
  return variance === 0 ? 0 : covariance / variance;
}

async function queueState(database) {
  const { rows } = await database.query(
    `SELECT (SELECT COUNT(*) FROM password_reset_requests) AS inbox,
            (SELECT COUNT(*) FROM password_reset_outbox WHERE status IN ('pending', 'sending')) AS backlog,
            (SELECT COUNT(*) FROM password_reset_outbox) AS outbox,
            (SELECT COUNT(*) FROM password_reset_tokens) AS tokens,
            (SELECT COUNT(*) FROM password_reset_outbox WHERE status = 'dead') AS dead`,
  );
  return Object.fromEntries(
    Object.entries(rows[0]).map(([key, value]) => [key, Number(value)]),
  );
}

/** Which account a mail went to, from its address `soak-N@example.com`. */
const accountOf = (mail) => Number(/^soak-(\d+)@/.exec(mail.to[0])?.[1]);
const isResetMail = (mail) => /[?&]token=/.test(mail.text);

export async function runSoak(argv, { quick = false } = {}) {
  const seconds = durationFromArguments(argv);
  const rate = envInteger('SOAK_RATE', quick ? 20 : 100, { min: 1, max: 5000 });
  const resetRate = envInteger('SOAK_RESET_RATE', quick ? 1 : 2, {
    min: 0,
    max: 100,
  });
  const accounts = envInteger('SOAK_ACCOUNTS', quick ? 50 : 3000, {
    min: 2,
    max: 1_000_000,
  });
  const reportEvery = envInteger(
    'SOAK_REPORT_SECONDS',
    Math.min(30, Math.max(5, Math.floor(seconds / 4))),
    { min: 1, max: 3600 },
  );
  const maxSlope = Number(process.env.SOAK_MAX_SLOPE ?? 2);
  console.log(
    `# Soak: ${seconds} s, lostPassword ${rate}/s over ${accounts} accounts, ${resetRate} resets/s, PostgreSQL, NODE_ENV=production`,
  );

  return withPostgresDatabase('soak', async (databaseUrl) => {
    const sink = await startSmtpSink();
    await addUsersSharingOneHash(databaseUrl, 'soak', accounts, PASSWORD);
    const server = await startStandaloneServer({
      databaseUrl,
      env: {
        NODE_ENV: 'production',
        SMTP_URL: sink.url,
        RESET_URL: 'https://app.example.test/reset',
        JWT_SECRET: randomBytes(36).toString('base64url'),
      },
    });
    const database = new pg.Client({ connectionString: databaseUrl });
    await database.connect();
    try {
      const post = client(server.url);
      const accepted = new Array(accounts).fill(0);
      const answers = {
        ok: 0,
        refused: 0,
        failed: 0,
        resets: 0,
        resetsRefused: 0,
      };
      /** lostPassword answers other than `200 {}`, by status (0: no answer, such as a timeout or a dropped connection). */
      const otherAnswers = {};
      const usedTokens = [];
      const resetAccounts = new Set();
      const inFlight = new Set();
      let windowLatencies = [];
      let windowMemory = [];
      const windows = [];
      const memoryPoints = [];

      const sendLostPassword = () => {
        const account = Math.floor(Math.random() * accounts);
        const sent = post('/auth/lostPassword', {
          username: `soak-${account}`,
        }).then((answer) => {
          windowLatencies.push(answer.ms);
          if (answer.status === 200 && answer.text === '{}') {
            accepted[account]++;
            answers.ok++;
          } else {
            if (answer.status > 0) answers.refused++;
            else answers.failed++;
            otherAnswers[answer.status] =
              (otherAnswers[answer.status] ?? 0) + 1;
          }
        });
        inFlight.add(sent);
        sent.finally(() => inFlight.delete(sent));
      };

      // A reset uses the newest link that arrived for an account not reset before, so every used link is its user's newest.
      let resetCursor = 0;
      const sendReset = () => {
        const mails = sink.received();
        for (; resetCursor < mails.length; resetCursor++) {
          const mail = mails[resetCursor];
          const account = accountOf(mail);
          if (!isResetMail(mail) || resetAccounts.has(account)) continue;
          const newest = mails.findLast(
            (candidate) =>
              accountOf(candidate) === account && isResetMail(candidate),
          );
          resetAccounts.add(account);
          const token = resetTokenIn(newest);
          const sent = post('/auth/resetPassword', {
            token,
            password: `soak ${randomBytes(12).toString('base64url')} pass`,
          }).then((answer) => {
            answers.resets++;
            if (answer.status === 200) usedTokens.push(token);
            else answers.resetsRefused++;
          });
          inFlight.add(sent);
          sent.finally(() => inFlight.delete(sent));
          resetCursor++;
          return;
        }
      };

      const startedAt = performance.now();
      let cpuAtWindowStart = cpuSeconds(server.child.pid);
      let windowStartedAt = startedAt;
      const memoryTimer = setInterval(() => {
        const rss = residentMiB(server);
        if (rss !== null) windowMemory.push(rss);
      }, 1000);

      let sentRequests = 0;
      let sentResets = 0;
      while (performance.now() - startedAt < seconds * 1000) {
        const elapsed = (performance.now() - startedAt) / 1000;
        while (sentRequests < elapsed * rate) {
          sendLostPassword();
          sentRequests++;
        }
        while (sentResets < elapsed * resetRate) {
          sendReset();
          sentResets++;
        }
        if (performance.now() - windowStartedAt >= reportEvery * 1000) {
          const now = performance.now();
          const cpu = cpuSeconds(server.child.pid);
          const state = await queueState(database);
          const window = {
            at: Math.round((now - startedAt) / 1000),
            rssMiB: median(windowMemory),
            cpuPercent:
              (100 * (cpu - cpuAtWindowStart)) /
              ((now - windowStartedAt) / 1000),
            p50: percentile(windowLatencies, 50),
            p99: percentile(windowLatencies, 99),
            requests: windowLatencies.length,
            ...state,
          };
          windows.push(window);
          if (window.rssMiB !== null)
            memoryPoints.push([window.at / 60, window.rssMiB]);
          console.log(
            `  ${String(window.at).padStart(5)} s  rss ${window.rssMiB?.toFixed(0)} MiB  cpu ${window.cpuPercent.toFixed(0)} %  lostPassword p50 ${window.p50?.toFixed(1)} ms p99 ${window.p99?.toFixed(1)} ms (${window.requests})  backlog ${state.backlog}  inbox ${state.inbox}  outbox ${state.outbox}  tokens ${state.tokens}  dead ${state.dead}`,
          );
          windowLatencies = [];
          windowMemory = [];
          windowStartedAt = now;
          cpuAtWindowStart = cpu;
        }
        await sleep(5);
      }
      await Promise.all([...inFlight]);
      clearInterval(memoryTimer);

      const drainDeadline = Date.now() + DRAIN_TIMEOUT_MS;
      let state = await queueState(database);
      while (
        (state.backlog > 0 || state.inbox > 0) &&
        Date.now() < drainDeadline
      ) {
        await sleep(500);
        state = await queueState(database);
      }
      const drainedAfter =
        (DRAIN_TIMEOUT_MS - (drainDeadline - Date.now())) / 1000;
      // The last mails' SMTP transactions end after their rows are marked sent.
      await sleep(1000);

      const mails = sink.received();
      const resetMails = new Array(accounts).fill(0);
      for (const mail of mails)
        if (isResetMail(mail)) resetMails[accountOf(mail)]++;
      // A reset account's mails still queued at its reset are dropped (asked for before the password changed): at least one, at most the rest.
      const mailedAsExpected = (account) => {
        const expected = Math.min(accepted[account], ACCOUNT_LIMIT);
        return resetAccounts.has(account)
          ? resetMails[account] >= 1 && resetMails[account] <= expected
          : resetMails[account] === expected;
      };
      const wrongCounts = accepted.flatMap((count, account) =>
        mailedAsExpected(account)
          ? []
          : [
              `soak-${account}: ${count} accepted, ${resetMails[account]} mailed`,
            ],
      );
      const messageIds = mails.map((mail) => mail.messageId);
      const duplicates = messageIds.length - new Set(messageIds).size;
      let liveUsedLinks = 0;
      for (const token of usedTokens)
        if ((await post('/auth/resetPassword/check', { token })).status === 200)
          liveUsedLinks++;
      const memorySlope = slope(memoryPoints.slice(1));

      const checks = [
        [
          'every request answered 200 {}',
          answers.refused + answers.failed === 0,
          `${answers.ok} of ${sentRequests}${Object.keys(otherAnswers).length ? `; others by status: ${JSON.stringify(otherAnswers)}` : ''}`,
        ],
        [
          'every account mailed min(accepted, limit) reset mails',
          wrongCounts.length === 0,
          wrongCounts.slice(0, 5).join('; ') ||
            `${resetMails.reduce((a, b) => a + b, 0)} reset mails`,
        ],
        [
          'no mail delivered twice',
          duplicates === 0,
          `${duplicates} repeated Message-IDs in ${mails.length} mails`,
        ],
        [
          'every used link dead',
          liveUsedLinks === 0,
          `${liveUsedLinks} of ${usedTokens.length} still usable`,
        ],
        [
          'backlog drained',
          state.backlog === 0 && state.inbox === 0,
          `after ${drainedAfter.toFixed(0)} s; ${state.dead} dead`,
        ],
        [
          'resident memory not growing',
          quick || memorySlope <= maxSlope,
          `${memorySlope.toFixed(2)} MiB/min (at most ${maxSlope})${quick ? ', not judged in a smoke run' : ''}`,
        ],
      ];
      console.log('');
      console.log(
        markdownTable(
          ['check', 'held', 'seen'],
          checks.map(([name, held, seen]) => [name, held ? 'yes' : 'NO', seen]),
          ['left', 'left', 'left'],
        ),
      );
      console.log(
        `resets: ${answers.resets} made, ${answers.resetsRefused} refused`,
      );

      return {
        seconds,
        rate,
        resetRate,
        accounts,
        windows,
        answers,
        memorySlopeMiBPerMinute: memorySlope,
        drainedAfterSeconds: drainedAfter,
        checks: checks.map(([name, held, seen]) => ({ name, held, seen })),
      };
    } finally {
      await database.end();
      await stopServer(server);
      removeServerDir(server);
      await sink.close();
    }
  });
}
