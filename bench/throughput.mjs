// Throughput of `POST /auth/lostPassword` on the standalone server, next to a
// bare Nest endpoint on the same machine, measured with autocannon on loopback.
//
//   npm run build && node bench/throughput.mjs      (or: npm run bench)
//
// Settings (environment): BENCH_DURATION seconds per target (default 10),
// BENCH_CONNECTIONS (default 50), BENCH_WARMUP seconds before each measurement
// (default 3, 0 for none), BENCH_KEEP_TMP=1 keeps the servers' directories.
//
// The servers run one at a time, each in its own process, so the two never
// compete for the CPU; autocannon runs in this process. Every non-2xx answer
// and every connection error is counted and printed: a fast 429 or 500 is not
// throughput.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import autocannon from 'autocannon';
import {
  addUserWithCli,
  envInteger,
  markdownTable,
  printEnvironment,
  removeServerDir,
  runMain,
  startBareServer,
  startStandaloneServer,
  stopServer,
} from './support.mjs';

const DURATION = envInteger('BENCH_DURATION', 10, { min: 1, max: 600 });
const CONNECTIONS = envInteger('BENCH_CONNECTIONS', 50, { min: 1, max: 1000 });
const WARMUP = envInteger('BENCH_WARMUP', 3, { min: 0, max: 60 });

const KNOWN_USER = { username: 'bench', email: 'bench@example.com', password: 'a long benchmark password' };

/**
 * The request bodies, in the order each connection cycles through them: one
 * known user for every three unknown ones, as an attacker probing names would
 * mostly send unknowns. `[<id>]` becomes a fresh id in every request
 * (autocannon's idReplacement), so no unknown name repeats. The bare endpoint
 * gets the same bodies, so both parse the same JSON.
 */
function requestsFor(path) {
  const known = JSON.stringify({ username: KNOWN_USER.username });
  const unknown = JSON.stringify({ username: 'ghost-[<id>]' });
  return [known, unknown, unknown, unknown].map((body) => ({ method: 'POST', path, body }));
}

function load(url, path, duration) {
  return autocannon({
    url,
    connections: CONNECTIONS,
    duration,
    headers: { 'content-type': 'application/json' },
    requests: requestsFor(path),
    idReplacement: true,
  });
}

function summarise(label, result) {
  return {
    label,
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

function printSummary(s) {
  console.log(`  ${s.requestsPerSecond.toFixed(0)} requests/s (mean of per-second samples), ${s.total} requests, ${s.ok} 2xx`);
  console.log(`  latency p50 ${s.p50} ms, p97.5 ${s.p975} ms, p99 ${s.p99} ms`);
  console.log(`  non-2xx ${s.non2xx}, errors ${s.errors} (of which timeouts ${s.timeouts}); status codes ${JSON.stringify(s.statusCodes)}`);
}

/** Warm-up (JIT, connection pools, SQLite pages), then the measurement; the warm-up is reported in one line, not hidden. */
async function measure(label, url, path) {
  if (WARMUP > 0) {
    const warm = await load(url, path, WARMUP);
    console.log(`  warm-up ${WARMUP} s: ${warm.requests.total} requests, non-2xx ${warm.non2xx}, errors ${warm.errors}`);
  }
  const summary = summarise(label, await load(url, path, DURATION));
  printSummary(summary);
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

async function benchBare() {
  const label = 'bare Nest endpoint: POST /bare';
  console.log(`## ${label}`);
  const server = await startBareServer();
  try {
    return await measure(label, server.url, '/bare');
  } finally {
    await stopServer(server);
    removeServerDir(server);
  }
}

async function benchModule() {
  const label = 'standalone server: POST /auth/lostPassword';
  console.log(`## ${label}`);
  const server = await startStandaloneServer();
  try {
    console.log(`  ${await addUserWithCli(server, KNOWN_USER)}`);
    const summary = await measure(label, server.url, '/auth/lostPassword');
    console.log(`  reset requests not yet processed by the worker right after the run: ${workerBacklog(server)}`);
    return summary;
  } finally {
    await stopServer(server);
    removeServerDir(server);
  }
}

function printReport(bare, module) {
  const ratio = module.requestsPerSecond / bare.requestsPerSecond;
  const rows = [
    ['bare Nest endpoint (`POST /bare`)', bare],
    ['`POST /auth/lostPassword`', module],
  ].map(([name, s]) => [name, s.requestsPerSecond.toFixed(0), String(s.p50), String(s.p975), String(s.p99), String(s.non2xx), String(s.errors)]);

  console.log('## Result (Markdown, for the README)');
  console.log('');
  console.log(
    markdownTable(
      ['target', 'requests/s (mean)', 'p50 ms', 'p97.5 ms', 'p99 ms', 'non-2xx', 'errors'],
      rows,
      ['left', 'right', 'right', 'right', 'right', 'right', 'right'],
    ),
  );
  console.log('');
  console.log(
    `\`POST /auth/lostPassword\` reaches ${(ratio * 100).toFixed(1)} % of the bare endpoint's throughput ` +
      `(${CONNECTIONS} connections, ${DURATION} s per target after a ${WARMUP} s warm-up, autocannon on the same machine; ` +
      'one known user to three unknown ones).',
  );
  if (bare.non2xx + bare.errors + module.non2xx + module.errors > 0) {
    console.log('');
    console.log('WARNING: some requests failed or were not 2xx (see the counts above); the rates include them.');
  }
}

async function main() {
  printEnvironment('Throughput: POST /auth/lostPassword against a bare Nest endpoint');
  console.log(`autocannon: ${CONNECTIONS} connections, ${DURATION} s per target, ${WARMUP} s warm-up, loopback only`);
  console.log('');
  const bare = await benchBare();
  console.log('');
  const module = await benchModule();
  console.log('');
  printReport(bare, module);
}

runMain(main);
