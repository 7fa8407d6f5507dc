// Throughput of `POST /auth/lostPassword` on the standalone server, next to a
// bare Nest endpoint with the same validation on the same platform (Express,
// then Fastify), and next to better-auth's `POST /api/auth/request-password-reset`,
// measured with autocannon on loopback, in identical rounds taken in turns
// (see compare). Our resident memory is read after each round: growth between
// them would be a leak.
//
// Each server is a process of its own, loaded while the others wait idle;
// autocannon runs in the bench process. Every non-2xx answer and every
// connection error is counted: a fast 429 or 500 is not throughput.
//
// Beside the rates, what each request costs the server: all the CPU its
// process used (every thread, the worker's share of ours included: it is
// read once the worker has processed every request) over a fixed number of
// requests, in µs per request. Unlike the rate, this hardly moves when other
// processes take the machine's cores, and autocannon's own CPU is not in it.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { PEER_VERSION, peerResetMails, startPeerServer } from './peer.mjs';
import {
  addUserWithCli,
  cpuMicroseconds,
  peakResidentMiB,
  removeServerDir,
  residentMiB,
  startBareServer,
  startStandaloneServer,
  stopServer,
} from './support.mjs';

const KNOWN_USER = {
  username: 'bench',
  email: 'bench@example.com',
  password: 'a long benchmark password',
};
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
  return [known, unknown, unknown, unknown].map((body) => ({
    method: 'POST',
    path,
    body,
  }));
}

/** autocannon's promise, and its instance (to stop it early) when `onInstance` is given. */
export function load(
  settings,
  url,
  requests,
  {
    duration = settings.duration,
    amount,
    connections = settings.connections,
    overallRate,
    onInstance,
  } = {},
) {
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        connections,
        duration,
        amount,
        overallRate,
        headers: { 'content-type': 'application/json' },
        requests,
        idReplacement: true,
      },
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
    statusCodes: Object.fromEntries(
      Object.entries(result.statusCodeStats).map(([code, { count }]) => [
        code,
        count,
      ]),
    ),
  };
}

export function printSummary(label, s) {
  console.log(
    `  ${label}: ${s.requestsPerSecond.toFixed(0)} req/s, p50 ${s.p50} ms, p99 ${s.p99} ms; ${s.total} requests, ` +
      `non-2xx ${s.non2xx}, errors ${s.errors} (timeouts ${s.timeouts}), status codes ${JSON.stringify(s.statusCodes)}`,
  );
}

/**
 * Reset requests the worker has not processed yet. If this grows without
 * bound, the request path outruns the worker and the rate is not sustainable.
 */
function workerBacklog(server) {
  try {
    const Database = createRequire(import.meta.url)('better-sqlite3');
    const db = new Database(join(server.dir, 'db.sqlite'), {
      readonly: true,
      fileMustExist: true,
    });
    try {
      return db
        .prepare('SELECT COUNT(*) AS n FROM password_reset_requests')
        .get().n;
    } finally {
      db.close();
    }
  } catch (error) {
    return `unavailable (${error.message})`;
  }
}

/** Each target's best round, with its rounds, peak memory and CPU per request. */
async function compare(settings, targets) {
  await measureRounds(settings, targets);
  await measureCpu(settings, targets);
  return Object.fromEntries(
    targets.map((target) => {
      const best = target.rounds.reduce((a, b) =>
        b.requestsPerSecond > a.requestsPerSecond ? b : a,
      );
      const cheapest = target.cpuRounds.reduce((a, b) =>
        b.cpuMicrosPerRequest < a.cpuMicrosPerRequest ? b : a,
      );
      return [
        target.key,
        {
          ...best,
          rounds: target.rounds,
          peakMiB: peakResidentMiB(target.server),
          cpuMicrosPerRequest: cheapest.cpuMicrosPerRequest,
          cpuRound: cheapest,
          cpuRounds: target.cpuRounds,
        },
      ];
    }),
  );
}

/**
 * CPU per request in rounds taken in turns, as the rates are, and for the same
 * reason: a round that other processes disturbed costs more CPU (caches, the
 * kernel's share of each write), never less, so each target's figure is its
 * cheapest round.
 */
async function measureCpu(settings, targets) {
  for (const target of targets) target.cpuRounds = [];
  for (let round = 1; round <= settings.cpuRounds; round++)
    for (const target of targets)
      target.cpuRounds.push(await cpuPerRequest(settings, target, round));
}

/**
 * The server's CPU time over `settings.cpuRequests` requests, from before the
 * first until ours has processed all of them (its backlog is empty), per
 * request, split into user and system time, and the rate those requests were
 * answered at.
 */
async function cpuPerRequest(settings, target, round) {
  const before = cpuMicroseconds(target.server);
  const result = await load(settings, target.server.url, target.requests, {
    amount: settings.cpuRequests,
  });
  await sleep(SETTLE_MS);
  if (target.ours) while (workerBacklog(target.server) > 0) await sleep(100);
  const after = cpuMicroseconds(target.server);
  const perRequest = (field) =>
    before === null
      ? null
      : (after[field] - before[field]) / result.requests.total;
  const summary = {
    ...summarise(result),
    cpuMicrosPerRequest: perRequest('total'),
    userMicrosPerRequest: perRequest('user'),
    systemMicrosPerRequest: perRequest('system'),
  };
  console.log(
    `  ${target.label}, CPU round ${round}: ${summary.cpuMicrosPerRequest?.toFixed(0)} µs of server CPU per request (user ${summary.userMicrosPerRequest?.toFixed(0)}, system ${summary.systemMicrosPerRequest?.toFixed(0)}) over ${result.requests.total} requests (${summary.requestsPerSecond.toFixed(0)} req/s, non-2xx ${summary.non2xx}, errors ${summary.errors})`,
  );
  return summary;
}

/**
 * The targets of one comparison, all started at once and loaded in turns:
 * warm-ups, then round after round of each in the same order, so that a
 * disturbance of the machine (other processes) falls on every target alike
 * rather than on whichever ran at that moment. The figure of a target is its
 * best round: noise only ever slows a round down. After each round of ours the
 * worker gets a moment, then its resident memory is read.
 */
async function measureRounds(settings, targets) {
  for (const target of targets) {
    if (settings.warmup > 0) {
      const warm = await load(settings, target.server.url, target.requests, {
        duration: settings.warmup,
      });
      console.log(
        `  ${target.label} warm-up ${settings.warmup} s: ${warm.requests.total} requests, non-2xx ${warm.non2xx}, errors ${warm.errors}`,
      );
    }
    target.rounds = [];
  }
  for (let round = 1; round <= settings.rounds; round++) {
    for (const target of targets) {
      const summary = summarise(
        await load(settings, target.server.url, target.requests),
      );
      printSummary(`${target.label}, round ${round}`, summary);
      if (target.ours) {
        await sleep(SETTLE_MS);
        Object.assign(summary, {
          residentMiB: residentMiB(target.server),
          workerBacklog: workerBacklog(target.server),
        });
        console.log(
          `  ${target.label}: resident ${summary.residentMiB?.toFixed(1)} MiB ${SETTLE_MS / 1000} s after round ${round}, reset requests left to the worker: ${summary.workerBacklog}`,
        );
      }
      target.rounds.push(summary);
    }
  }
}

async function withServers(starts, work) {
  const servers = [];
  try {
    for (const start of starts) servers.push(await start());
    return await work(servers);
  } finally {
    for (const server of servers) {
      await stopServer(server);
      removeServerDir(server);
    }
  }
}

async function startOurs(adapter) {
  const server = await startStandaloneServer({ adapter });
  await addUserWithCli(server, KNOWN_USER);
  return server;
}

/** One platform: the bare endpoint and ours, and on Express the peer as well. */
async function benchPlatform(settings, adapter, withPeer) {
  const starts = [
    () => startBareServer(adapter),
    () => startOurs(adapter),
    ...(withPeer ? [() => startPeerServer(KNOWN_USER.email)] : []),
  ];
  return withServers(starts, async ([bare, ours, peer]) => {
    const targets = [
      {
        key: 'bare',
        label: `bare Nest ${adapter}`,
        server: bare,
        requests: requestsFor('/bare', 'username'),
      },
      {
        key: 'ours',
        label: `ours ${adapter}`,
        server: ours,
        requests: requestsFor('/auth/lostPassword', 'username'),
        ours: true,
      },
    ];
    if (peer)
      targets.push({
        key: 'peer',
        label: `better-auth ${PEER_VERSION}`,
        server: peer,
        requests: requestsFor('/api/auth/request-password-reset', 'email'),
      });
    const results = await compare(settings, targets);
    if (peer)
      Object.assign(results.peer, {
        version: PEER_VERSION,
        resetMailsRecorded: await peerResetMails(peer),
      });
    return results;
  });
}

/** Both platforms' pairs; better-auth is loaded beside the Express pair. */
export async function runThroughput(settings) {
  const { peer, ...express } = await benchPlatform(settings, 'express', true);
  const fastify = await benchPlatform(settings, 'fastify', false);
  return { platforms: { express, fastify }, peer };
}
