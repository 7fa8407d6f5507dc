// Does the response time of `POST /auth/lostPassword` tell whether an account
// exists? Sequential requests against one standalone server, the classes in a
// random but balanced order, each timed from the client's side.
//
//   npm run build && node bench/timing.mjs      (or: npm run bench:timing)
//
// Settings (environment): TIMING_SAMPLES measured requests (default 2000),
// TIMING_WARMUP requests before them (default 200), TIMING_KNOWN_USERS
// (default 50), TIMING_MAX_SECONDS time budget for the measurement (default
// 600), BENCH_KEEP_TMP=1 keeps the server's directory.
//
// The classes:
//   unknown    an identifier no account has (a fresh one each time)
//   known      one of TIMING_KNOWN_USERS existing accounts; the first requests
//              for an account queue a mail, the later ones are past the silent
//              per-account limit (both kinds are also reported apart)
//   throttled  one existing account, already past the per-account limit
//              before the measurement starts (the warm-up sees to that)
//
// With TIMING_ROUTE=code it measures `POST /auth/resetPassword` with a
// username and a reset code instead (RESET_CODE_DIGITS=6), every answer the
// same 400 invalid_token; the classes:
//   unknown    a username no account has (a fresh one each time)
//   wrong      one of TIMING_KNOWN_USERS accounts with a live reset, a wrong code
//              (RESET_CODE_ATTEMPTS=1000, so the reset stays alive throughout)
//   dead       one of TIMING_KNOWN_USERS accounts whose reset was used, its code
//
// TIMING_DATABASE_URL (code route only) runs the server on that (empty)
// database instead of a fresh SQLite file.
//
// It always exits 0 (it is a measurement); each gap is marked PASS or FAIL
// against the target |gap| < 0.1 ms + 3 % of the unknown median.
import { randomBytes, randomInt } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import http from 'node:http';
import {
  addUsersInProcess,
  envInteger,
  HOST,
  markdownTable,
  printEnvironment,
  removeServerDir,
  runMain,
  startStandaloneServer,
  stopServer,
  waitForMails,
} from './support.mjs';

const SAMPLES = envInteger('TIMING_SAMPLES', 2000, { min: 30, max: 100_000 });
// At least a few, so that the throttled account is past its limit when the measurement starts.
const WARMUP = envInteger('TIMING_WARMUP', 200, { min: 10, max: 10_000 });
const KNOWN_USERS = envInteger('TIMING_KNOWN_USERS', 50, { min: 1, max: 500 });
const MAX_SECONDS = envInteger('TIMING_MAX_SECONDS', 600, {
  min: 10,
  max: 3_600,
});

const REQUEST_TIMEOUT_MS = 10_000;
/** The module's default silent per-account limit: this many reset mails per account per hour. */
const ACCOUNT_LIMIT = 3;
const TARGET_FIXED_US = 100;
const TARGET_RELATIVE = 0.03;
const CODE_ROUTE = process.env.TIMING_ROUTE === 'code';
const CLASSES = CODE_ROUTE
  ? ['unknown', 'wrong', 'dead']
  : ['unknown', 'known', 'throttled'];
const PASSWORD = 'a long benchmark password';
const INVALID_TOKEN = JSON.stringify({
  statusCode: 400,
  error: 'Bad Request',
  message:
    'this reset link or code is invalid, has expired or was already used',
  code: 'invalid_token',
});

// ---------------------------------------------------------------- identifiers and schedule

/** All identifiers have the same length (5-letter tag, dash, 12 hex digits), so the body size never differs by class. */
function randomName(tag) {
  return `${tag}-${randomBytes(6).toString('hex')}`;
}

function shuffle(items) {
  for (let i = items.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

/**
 * Exactly `perClass` requests of each class, in one random order over the whole
 * run, so that drift (thermal, GC, a growing database) affects all classes
 * alike. Not permuted blocks: those would make "the next request is of another
 * class" more likely than chance, and any after-effect of a request would then
 * land unevenly on the classes.
 */
function balancedSchedule(perClass) {
  return shuffle(CLASSES.flatMap((cls) => Array(perClass).fill(cls)));
}

/**
 * The known accounts take turns in contiguous stretches (account 0 for the first
 * known requests, then account 1, ...), so each account's first requests (the
 * ones that queue a mail) are spread evenly over the run instead of all at its start.
 */
function knownAccountFor(knownIndex, knownTotal, accounts) {
  return accounts[Math.floor((knownIndex * accounts.length) / knownTotal)];
}

// ---------------------------------------------------------------- the client

/**
 * One keep-alive connection, reused for every request, so the time is the
 * server's work plus a loopback round trip, not a TCP handshake.
 */
function createClient(port) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  let newConnections = 0;

  /** `POST /auth/lostPassword` for the identifier; `ok` when the answer is `200 {}`. */
  function post(identifier) {
    return send('/auth/lostPassword', { username: identifier }, 200, '{}');
  }

  /** `POST /auth/resetPassword` with a username and a code; `ok` when the answer is `invalid_token`. */
  function postCode(username, code) {
    return send(
      '/auth/resetPassword',
      { username, code, password: PASSWORD },
      400,
      INVALID_TOKEN,
    );
  }

  function send(path, fields, expectedStatus, expectedText) {
    const body = JSON.stringify(fields);
    return new Promise((resolve) => {
      const start = process.hrtime.bigint();
      const request = http.request(
        {
          agent,
          host: HOST,
          port,
          method: 'POST',
          path,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
          },
          timeout: REQUEST_TIMEOUT_MS,
        },
        (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk) => (text += chunk));
          response.on('end', () => {
            const micros = Number(process.hrtime.bigint() - start) / 1_000;
            resolve({
              micros,
              ok:
                response.statusCode === expectedStatus && text === expectedText,
              status: response.statusCode,
            });
          });
        },
      );
      request.on('socket', () => {
        if (!request.reusedSocket) newConnections++;
      });
      request.on('timeout', () =>
        request.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)),
      );
      request.on('error', (error) =>
        resolve({ micros: NaN, ok: false, status: error.message }),
      );
      request.end(body);
    });
  }

  return {
    post,
    postCode,
    newConnections: () => newConnections,
    close: () => agent.destroy(),
  };
}

// ---------------------------------------------------------------- the run

async function createAccounts(server) {
  const accounts = Array.from({ length: KNOWN_USERS }, () =>
    randomName('known'),
  );
  const throttled = randomName('thrtl');
  const started = Date.now();
  await addUsersInProcess(
    server,
    [throttled, ...accounts].map((username) => ({
      username,
      email: `${username}@example.com`,
      password: PASSWORD,
    })),
  );
  console.log(
    `created ${accounts.length + 1} users in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  return { accounts, throttled };
}

/**
 * Warm-up (JIT, SQLite pages, the mail templates), alternating unknown names
 * and the throttled account, which uses up its mail allowance here. The known
 * accounts are left untouched, so their first measured requests still queue mails.
 */
async function warmUp(client, server, throttled) {
  let failures = 0;
  for (let i = 0; i < WARMUP; i++) {
    const { ok } = await client.post(
      i % 2 === 0 ? randomName('ghost') : throttled,
    );
    if (!ok) failures++;
  }
  const mails = await waitForMails(server, ACCOUNT_LIMIT);
  console.log(
    `warm-up: ${WARMUP} requests, ${failures} not 200 {}; mails written so far: ${mails} (expected ${ACCOUNT_LIMIT})`,
  );
  if (mails !== ACCOUNT_LIMIT) {
    console.log(
      `WARNING: expected exactly ${ACCOUNT_LIMIT} mails for the throttled account; the classes may not be what they say.`,
    );
  }
}

async function measure(client, { accounts, throttled }) {
  const perClass = Math.round(SAMPLES / CLASSES.length);
  const schedule = balancedSchedule(perClass);
  const timesAsked = new Map();
  const deadline = Date.now() + MAX_SECONDS * 1_000;
  const samples = [];
  let knownIndex = 0;

  for (const cls of schedule) {
    if (Date.now() > deadline) {
      console.log(
        `WARNING: time budget of ${MAX_SECONDS} s used up after ${samples.length} of ${schedule.length} requests`,
      );
      break;
    }
    let identifier = randomName('ghost');
    let mailQueued = false;
    if (cls === 'throttled') identifier = throttled;
    if (cls === 'known') {
      identifier = knownAccountFor(knownIndex++, perClass, accounts);
      const asked = (timesAsked.get(identifier) ?? 0) + 1;
      timesAsked.set(identifier, asked);
      mailQueued = asked <= ACCOUNT_LIMIT;
    }
    const previous = samples.at(-1)?.cls;
    samples.push({
      cls,
      previous,
      mailQueued,
      ...(await client.post(identifier)),
    });
  }
  const expectedMails =
    ACCOUNT_LIMIT +
    [...timesAsked.values()].reduce(
      (sum, n) => sum + Math.min(n, ACCOUNT_LIMIT),
      0,
    );
  return { samples, perClass, expectedMails };
}

// ---------------------------------------------------------------- statistics

/** Linear interpolation between closest ranks. */
function quantile(sorted, q) {
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  return sorted[below] + (sorted[above] - sorted[below]) * (position - below);
}

function describe(samples) {
  const times = samples
    .filter((s) => s.ok)
    .map((s) => s.micros)
    .sort((a, b) => a - b);
  if (times.length === 0)
    return {
      n: 0,
      failed: samples.length,
      p25: NaN,
      median: NaN,
      p75: NaN,
      mean: NaN,
    };
  return {
    n: times.length,
    failed: samples.length - times.length,
    p25: quantile(times, 0.25),
    median: quantile(times, 0.5),
    p75: quantile(times, 0.75),
    mean: times.reduce((sum, t) => sum + t, 0) / times.length,
  };
}

function gap(stats, reference) {
  const limit = TARGET_FIXED_US + TARGET_RELATIVE * reference.median;
  const measureGap = (key) => {
    const absolute = stats[key] - reference[key];
    return {
      absolute,
      relative: (absolute / reference[key]) * 100,
      pass: Math.abs(absolute) < limit,
    };
  };
  return { limit, median: measureGap('median'), p25: measureGap('p25') };
}

// ---------------------------------------------------------------- report

const us = (value) => (Number.isFinite(value) ? value.toFixed(1) : 'n/a');
const signed = (value, unit = '') =>
  Number.isFinite(value)
    ? `${value >= 0 ? '+' : ''}${value.toFixed(1)}${unit}`
    : 'n/a';
const verdict = (g) => (g.pass ? 'PASS' : 'FAIL');

function statsTable(rows, unexpected = 'not 200 {}') {
  return markdownTable(
    ['class', 'n', unexpected, 'p25 µs', 'median µs', 'p75 µs', 'mean µs'],
    rows.map(([name, s]) => [
      name,
      String(s.n),
      String(s.failed),
      us(s.p25),
      us(s.median),
      us(s.p75),
      us(s.mean),
    ]),
    ['left', 'right', 'right', 'right', 'right', 'right', 'right'],
  );
}

function gapTable(rows) {
  return markdownTable(
    [
      'comparison',
      'Δ median µs',
      'Δ median %',
      'median',
      'Δ p25 µs',
      'Δ p25 %',
      'p25',
      'limit µs',
    ],
    rows.map(([name, g]) => [
      name,
      signed(g.median.absolute),
      signed(g.median.relative, ' %'),
      verdict(g.median),
      signed(g.p25.absolute),
      signed(g.p25.relative, ' %'),
      verdict(g.p25),
      us(g.limit),
    ]),
    ['left', 'right', 'right', 'left', 'right', 'right', 'left', 'right'],
  );
}

function printReport(
  { samples, perClass },
  newConnections,
  mails,
  expectedMails,
) {
  const byClass = Object.fromEntries(
    CLASSES.map((cls) => [cls, describe(samples.filter((s) => s.cls === cls))]),
  );
  const unknown = byClass.unknown;
  const gaps = [
    ['known − unknown', gap(byClass.known, unknown)],
    ['throttled − unknown', gap(byClass.throttled, unknown)],
  ];

  console.log('');
  console.log('## Result (Markdown, for docs/benchmarks.md)');
  console.log('');
  console.log(
    `${samples.length} sequential requests (${perClass} per class, random order) after ${WARMUP} warm-up requests; ` +
      `one keep-alive connection; ${KNOWN_USERS} known accounts. Times from the client, in µs.`,
  );
  console.log('');
  console.log(statsTable(CLASSES.map((cls) => [cls, byClass[cls]])));
  console.log('');
  console.log(
    `Target: |gap| < ${TARGET_FIXED_US} µs + ${TARGET_RELATIVE * 100} % of the unknown median = ${us(gaps[0][1].limit)} µs.`,
  );
  console.log('');
  console.log(gapTable(gaps));

  // Not part of the target: finer cuts that say where a gap would come from.
  const known = samples.filter((s) => s.cls === 'known');
  const after = (cls) => describe(samples.filter((s) => s.previous === cls));
  const afterUnknown = after('unknown');
  const details = [
    [
      `known, mail queued (first ${ACCOUNT_LIMIT} per account)`,
      describe(known.filter((s) => s.mailQueued)),
    ],
    [
      'known, past the account limit',
      describe(known.filter((s) => !s.mailQueued)),
    ],
    ['any class, right after an unknown', afterUnknown],
    ['any class, right after a known', after('known')],
    ['any class, right after a throttled', after('throttled')],
  ];
  console.log('');
  console.log('## Details (not part of the target)');
  console.log('');
  console.log(
    'The worker does the per-user work after the answer, in the same process; the "right after" rows show whether it ' +
      'slows the next request down.',
  );
  console.log('');
  console.log(statsTable(details));
  console.log('');
  console.log(
    gapTable([
      ['known, mail queued − unknown', gap(details[0][1], unknown)],
      ['known, past the limit − unknown', gap(details[1][1], unknown)],
      ['after a known − after an unknown', gap(details[3][1], afterUnknown)],
      [
        'after a throttled − after an unknown',
        gap(details[4][1], afterUnknown),
      ],
    ]),
  );
  console.log('');
  console.log(
    `new connections during the measurement: ${newConnections} (0 means every request reused the one keep-alive connection)`,
  );
  console.log(`mails written in all: ${mails} (expected ${expectedMails})`);
  if (mails !== expectedMails) {
    console.log(
      'WARNING: mail count differs from what the classes imply; the "known" accounts may not be behaving as known accounts.',
    );
  }

  console.log('');
  for (const [name, g] of gaps) {
    console.log(
      `${verdict(g.median)}  ${name}, median: ${signed(g.median.absolute, ' µs')} (${signed(g.median.relative, ' %')}), limit ${us(g.limit)} µs`,
    );
    console.log(
      `${verdict(g.p25)}  ${name}, p25:    ${signed(g.p25.absolute, ' µs')} (${signed(g.p25.relative, ' %')}), limit ${us(g.limit)} µs`,
    );
  }
}

// ---------------------------------------------------------------- the code route

/** The code of the newest mail to `email` among the server's .eml files. */
function codeInMailTo(server, email) {
  const files = readdirSync(server.mailDir)
    .filter((file) => file.endsWith('.eml'))
    .map((file) => readFileSync(join(server.mailDir, file), 'utf8'))
    .filter((mail) => mail.includes(`To: ${email}`));
  const code = /^([0-9]{6})\r?$/m.exec(files.at(-1) ?? '')?.[1];
  if (!code) throw new Error(`no reset code in a mail to ${email}`);
  return code;
}

/** Accounts with a live reset (mailed, for the wrong codes) and with a used one (its code is dead). */
async function createCodeAccounts(server, client) {
  const live = Array.from({ length: KNOWN_USERS }, () => randomName('known'));
  const dead = Array.from({ length: KNOWN_USERS }, () => randomName('spent'));
  await addUsersInProcess(
    server,
    [...live, ...dead].map((username) => ({
      username,
      email: `${username}@example.com`,
      password: PASSWORD,
    })),
  );
  for (const username of [...live, ...dead]) await client.post(username);
  await waitForMails(server, live.length + dead.length, 60_000);
  const deadCodes = new Map();
  for (const username of dead) {
    const code = codeInMailTo(server, `${username}@example.com`);
    await spendWithCode(server, username, code);
    deadCodes.set(username, code);
  }
  return { live, dead, deadCodes };
}

/** Spends a reset with its code, as its user would. */
async function spendWithCode(server, username, code) {
  const response = await fetch(
    `http://${HOST}:${server.port}/auth/resetPassword`,
    {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, code, password: `${PASSWORD} anew` }),
    },
  );
  if (response.status !== 200)
    throw new Error(
      `the reset of ${username} by its code answered ${response.status}`,
    );
}

/** Six digits, never a live account's right code (those are never sent here). */
function randomCode() {
  return String(randomInt(1_000_000)).padStart(6, '0');
}

async function measureCodes(client, { live, dead, deadCodes }) {
  const perClass = Math.round(SAMPLES / CLASSES.length);
  const schedule = balancedSchedule(perClass);
  const deadline = Date.now() + MAX_SECONDS * 1_000;
  const samples = [];
  for (let i = 0; i < WARMUP; i++)
    await client.postCode(randomName('ghost'), randomCode());
  let turn = 0;
  for (const cls of schedule) {
    if (Date.now() > deadline) {
      console.log(
        `WARNING: time budget of ${MAX_SECONDS} s used up after ${samples.length} of ${schedule.length} requests`,
      );
      break;
    }
    turn++;
    let answer;
    if (cls === 'unknown')
      answer = await client.postCode(randomName('ghost'), randomCode());
    else if (cls === 'wrong')
      answer = await client.postCode(live[turn % live.length], randomCode());
    else {
      const username = dead[turn % dead.length];
      answer = await client.postCode(username, deadCodes.get(username));
    }
    samples.push({ cls, ...answer });
  }
  return { samples, perClass };
}

function printCodeReport({ samples, perClass }) {
  const byClass = Object.fromEntries(
    CLASSES.map((cls) => [cls, describe(samples.filter((s) => s.cls === cls))]),
  );
  const gaps = [
    ['wrong − unknown', gap(byClass.wrong, byClass.unknown)],
    ['dead − unknown', gap(byClass.dead, byClass.unknown)],
  ];
  console.log('');
  console.log('## Result (Markdown, for docs/benchmarks.md)');
  console.log('');
  console.log(
    `${samples.length} sequential \`POST /auth/resetPassword\` with a username and a code (${perClass} per class, random order) ` +
      `after ${WARMUP} warm-up requests; one keep-alive connection; ${KNOWN_USERS} accounts of each kind. ` +
      'Every answer was expected to be the same `400 invalid_token`. Times from the client, in µs.',
  );
  console.log('');
  console.log(
    statsTable(
      CLASSES.map((cls) => [cls, byClass[cls]]),
      'not 400 invalid_token',
    ),
  );
  console.log('');
  console.log(gapTable(gaps));
  console.log('');
  for (const [name, g] of gaps)
    console.log(
      `${verdict(g.median)}  ${name}, median: ${signed(g.median.absolute, ' µs')} (${signed(g.median.relative, ' %')}), limit ${us(g.limit)} µs`,
    );
}

async function mainForCodes() {
  printEnvironment(
    'Timing: does a wrong reset code take longer than one for an unknown username?',
  );
  const server = await startStandaloneServer({
    databaseUrl: process.env.TIMING_DATABASE_URL || undefined,
    env: { RESET_CODE_DIGITS: '6', RESET_CODE_ATTEMPTS: '1000' },
  });
  const client = createClient(server.port);
  try {
    const accounts = await createCodeAccounts(server, client);
    printCodeReport(await measureCodes(client, accounts));
  } finally {
    client.close();
    await stopServer(server);
    removeServerDir(server);
  }
}

async function main() {
  printEnvironment(
    'Timing: does POST /auth/lostPassword take longer for existing accounts?',
  );
  const server = await startStandaloneServer();
  const client = createClient(server.port);
  try {
    const users = await createAccounts(server);
    await warmUp(client, server, users.throttled);
    const connectionsBefore = client.newConnections();
    const result = await measure(client, users);
    const newConnections = client.newConnections() - connectionsBefore;
    const mails = await waitForMails(server, result.expectedMails);
    printReport(result, newConnections, mails, result.expectedMails);
  } finally {
    client.close();
    await stopServer(server);
    removeServerDir(server);
  }
}

runMain(CODE_ROUTE ? mainForCodes : main);
