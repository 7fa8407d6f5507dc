// Reset throughput, and whether a burst of resets stalls lostPassword.
//
// Users get links the way users do (POST /auth/lostPassword, the worker writes
// each mail as an .eml file, the link is read from it); then:
//   1. the resets alone: POST /auth/resetPassword with every link of the first
//      half, `resetConcurrency` at a time; resets per second (each one a
//      strength estimate and a scrypt hash of the new password);
//   2. lostPassword alone at a steady rate, well below saturation, for as long
//      as the resets took: its p99;
//   3. the same lostPassword load during a burst of the other half of the
//      links: its p99 then, and the resets per second under that load.
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { resetTokenIn } from '../test/package/smtp-sink.mjs';
import { load, printSummary, summarise } from './throughput.mjs';
import {
  addUsersSharingOneHash,
  peakResidentMiB,
  removeServerDir,
  startStandaloneServer,
  stopServer,
  waitForMails,
} from './support.mjs';

const PASSWORD = 'a long benchmark password';
const LOST_PASSWORD_RATE = 500;
const LOST_PASSWORD_CONNECTIONS = 10;
const QUEUE_CONCURRENCY = 16;

async function post(server, path, body) {
  const response = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  await response.arrayBuffer();
  return response.status;
}

/** Runs `task(item)` for every item, `concurrency` at a time. */
async function eachConcurrently(items, concurrency, task) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await task(items[next++]);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/** One link per user, asked for and read from the mails the server wrote. */
async function linksFor(server, count) {
  await eachConcurrently(
    Array.from({ length: count }, (_, i) => i),
    QUEUE_CONCURRENCY,
    (i) => post(server, '/auth/lostPassword', { username: `reset-${i}` }),
  );
  const written = await waitForMails(server, count, 60_000);
  if (written < count)
    throw new Error(`${count} reset mails expected, ${written} written`);
  const tokens = [];
  for (const file of readdirSync(server.mailDir).filter((name) =>
    name.endsWith('.eml'),
  )) {
    const mail = await simpleParser(readFileSync(join(server.mailDir, file)));
    tokens.push(resetTokenIn({ text: mail.text ?? '' }));
  }
  return tokens;
}

/** Every link used once with a new password; resets per second and the answers that were not 200. */
async function burst(server, tokens, concurrency) {
  const startedAt = performance.now();
  let failed = 0;
  await eachConcurrently(tokens, concurrency, async (token) => {
    const status = await post(server, '/auth/resetPassword', {
      token,
      password: `bench ${randomBytes(12).toString('base64url')} pass`,
    });
    if (status !== 200) failed++;
  });
  const seconds = (performance.now() - startedAt) / 1000;
  return {
    resets: tokens.length,
    failed,
    seconds,
    resetsPerSecond: (tokens.length - failed) / seconds,
  };
}

function lostPasswordLoad(settings, server, duration, onInstance) {
  const requests = [
    {
      method: 'POST',
      path: '/auth/lostPassword',
      body: JSON.stringify({ username: 'ghost-[<id>]@example.com' }),
    },
  ];
  return load(settings, server.url, requests, {
    duration,
    connections: LOST_PASSWORD_CONNECTIONS,
    overallRate: LOST_PASSWORD_RATE,
    onInstance,
  });
}

export async function runResetBurst(settings) {
  const server = await startStandaloneServer();
  try {
    const perPhase = settings.resetLinks;
    await addUsersSharingOneHash(
      server.databaseUrl,
      'reset',
      2 * perPhase,
      PASSWORD,
    );
    const tokens = await linksFor(server, 2 * perPhase);

    const alone = await burst(
      server,
      tokens.slice(0, perPhase),
      settings.resetConcurrency,
    );
    console.log(
      `  resets alone: ${alone.resets} in ${alone.seconds.toFixed(1)} s, ${alone.resetsPerSecond.toFixed(1)} resets/s, ${alone.failed} not 200`,
    );

    const duration = Math.max(1, Math.round(alone.seconds));
    const quiet = summarise(await lostPasswordLoad(settings, server, duration));
    printSummary(
      `lostPassword at ${LOST_PASSWORD_RATE} req/s, no resets`,
      quiet,
    );

    // The load runs until the burst has ended, then stops.
    let instance;
    const loaded = lostPasswordLoad(
      settings,
      server,
      duration * 10,
      (started) => (instance = started),
    );
    const during = await burst(
      server,
      tokens.slice(perPhase),
      settings.resetConcurrency,
    );
    instance.stop();
    const duringBurst = summarise(await loaded);
    printSummary(
      `lostPassword at ${LOST_PASSWORD_RATE} req/s, during the burst`,
      duringBurst,
    );
    console.log(
      `  resets under that load: ${during.resetsPerSecond.toFixed(1)} resets/s, ${during.failed} not 200`,
    );

    return {
      concurrency: settings.resetConcurrency,
      lostPasswordRate: LOST_PASSWORD_RATE,
      lostPasswordConnections: LOST_PASSWORD_CONNECTIONS,
      alone,
      underLoad: during,
      lostPasswordQuiet: quiet,
      lostPasswordDuringBurst: duringBurst,
      peakMiB: peakResidentMiB(server),
    };
  } finally {
    await stopServer(server);
    removeServerDir(server);
  }
}
