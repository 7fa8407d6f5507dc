// Throughput of `POST /auth/lostPassword` on the standalone server, next to a
// bare Nest endpoint with the same validation on the same platform (Express,
// then Fastify), and next to better-auth's `POST /api/auth/request-password-reset`,
// measured with autocannon on loopback. The standalone server is loaded in two
// identical rounds, its resident memory read after each: growth between them
// would be a leak.
//
// The servers run one at a time, each in its own process, so they never
// compete for the CPU; autocannon runs in the bench process. Every non-2xx
// answer and every connection error is counted: a fast 429 or 500 is not
// throughput.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { PEER_VERSION, peerResetMails, startPeerServer } from './peer.mjs';
import {
  addUserWithCli,
  peakResidentMiB,
  removeServerDir,
  residentMiB,
  startBareServer,
  startStandaloneServer,
  stopServer,
} from './support.mjs';

const KNOWN_USER = { username: 'bench', email: 'bench@example.com', password: 'a long benchmark password' };
/** Time for the worker to process what a round left, before the resident memory is read. */
const SETTLE_MS = 2_000;

/**
 * The request bodies, in the order each connection cycles through them: the
 * known user's address once for every three unknown addresses, as an attacker
 * probing addresses would mostly send unknowns. `[<id>]` becomes a fresh id in
 * every request (autocannon's idReplacement), so no unknown address repeats.
 * Every target gets these bodies; better-auth calls the field `email`.
 */
function requestsFor(path, field) {
  const known = JSON.stringify({ [field]: KNOWN_USER.email });
  const unknown = JSON.stringify({ [field]: 'ghost-[<id>]@example.com' });
  return [known, unknown, unknown, unknown].map((body) => ({ method: 'POST', path, body }));
}

/** autocannon's promise, and its instance (to stop it early) when `onInstance` is given. */
export function load(settings, url, requests, { duration = settings.duration, connections = settings.connections, overallRate, onInstance } = {}) {
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      { url, connections, duration, overallRate, headers: { 'content-type': 'application/json' }, requests, idReplacement: true },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
    onInstance?.(instance);
  });
}

export function summarise(result) {
  return {
    requestsPerSecond: result.requests.mean,
    total: result.requests.total,
    ok: result['2xx'],
    p50: result.latency.p50,
    p975: result.latency.p97_5,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, { count }]) => [code, count])),
  };
}

export function printSummary(label, s) {
  console.log(
    `  ${label}: ${s.requestsPerSecond.toFixed(0)} req/s, p50 ${s.p50} ms, p99 ${s.p99} ms; ${s.total} requests, ` +
      `non-2xx ${s.non2xx}, errors ${s.errors} (timeouts ${s.timeouts}), status codes ${JSON.stringify(s.statusCodes)}`,
  );
}

/** Warm-up (JIT, connection pools, SQLite pages), then one measured round. */
async function measure(settings, label, url, requests) {
  if (settings.warmup > 0) {
    const warm = await load(settings, url, requests, { duration: settings.warmup });
    console.log(`  ${label} warm-up ${settings.warmup} s: ${warm.requests.total} requests, non-2xx ${warm.non2xx}, errors ${warm.errors}`);
  }
  const summary = summarise(await load(settings, url, requests));
  printSummary(label, summary);
  return summary;
}

/**
 * Reset requests the worker has not processed yet. If this grows without
 * bound, the request path outruns the worker and the rate is not sustainable.
 */
function workerBacklog(server) {
  try {
    const Database = createRequire(import.meta.url)('better-sqlite3');
    const db = new Database(join(server.dir, 'db.sqlite'), { readonly: true, fileMustExist: true });
    try {
      return db.prepare('SELECT COUNT(*) AS n FROM password_reset_requests').get().n;
    } finally {
      db.close();
    }
  } catch (error) {
    return `unavailable (${error.message})`;
  }
}

async function benchBare(settings, adapter) {
  const server = await startBareServer(adapter);
  try {
    return await measure(settings, `bare Nest ${adapter}`, server.url, requestsFor('/bare', 'username'));
  } finally {
    await stopServer(server);
    removeServerDir(server);
  }
}

/** Two identical rounds after the warm-up; the first is the throughput figure, the resident memory is read after each. */
async function benchOurs(settings, adapter) {
  const server = await startStandaloneServer({ adapter });
  try {
    await addUserWithCli(server, KNOWN_USER);
    const requests = requestsFor('/auth/lostPassword', 'username');
    const rounds = [];
    for (const round of [1, 2]) {
      const summary = round === 1 ? await measure(settings, `ours ${adapter}`, server.url, requests) : summarise(await load(settings, server.url, requests));
      if (round === 2) printSummary(`ours ${adapter}, round 2`, summary);
      await sleep(SETTLE_MS);
      rounds.push({ ...summary, residentMiB: residentMiB(server), workerBacklog: workerBacklog(server) });
    }
    const peakMiB = peakResidentMiB(server);
    console.log(
      `  ours ${adapter}: resident ${rounds.map((r) => r.residentMiB?.toFixed(1)).join(' then ')} MiB after the rounds, ` +
        `peak ${peakMiB?.toFixed(1)} MiB; reset requests left to the worker ${SETTLE_MS / 1000} s after each round: ${rounds.map((r) => r.workerBacklog).join(', ')}`,
    );
    return { rounds, peakMiB };
  } finally {
    await stopServer(server);
    removeServerDir(server);
  }
}

async function benchPeer(settings) {
  const server = await startPeerServer(KNOWN_USER.email);
  try {
    const summary = await measure(settings, `better-auth ${PEER_VERSION}`, server.url, requestsFor('/api/auth/request-password-reset', 'email'));
    return { version: PEER_VERSION, ...summary, resetMailsRecorded: await peerResetMails(server), peakMiB: peakResidentMiB(server) };
  } finally {
    await stopServer(server);
    removeServerDir(server);
  }
}

/** Both platforms' pairs, then the peer; the comparison with the peer uses our Express figures. */
export async function runThroughput(settings) {
  const platforms = {};
  for (const adapter of ['express', 'fastify']) {
    const bare = await benchBare(settings, adapter);
    const ours = await benchOurs(settings, adapter);
    platforms[adapter] = { bare, ours };
  }
  const peer = await benchPeer(settings);
  return { platforms, peer };
}
