// Cold start of the standalone server (built tree, SQLite): from spawning the
// process to the first `200` on `GET /health`, and to the first accepted
// `POST /auth/lostPassword`. The first start is on a new database (its
// migrations run); the others restart on that database, as a deploy does.
import { setTimeout as sleep } from 'node:timers/promises';
import {
  HOST,
  makeTempDir,
  peakResidentMiB,
  removeServerDir,
  spawnNode,
  STANDALONE_MAIN,
  standaloneEnvironment,
  stopServer,
} from './support.mjs';

const POLL_MS = 5;
const GIVE_UP_MS = 30_000;

/** Milliseconds from `startedAt` until `request` answers 200, polling; the process dying or time running out is an error. */
async function firstOk(server, startedAt, request) {
  while (performance.now() - startedAt < GIVE_UP_MS) {
    if (server.child.exitCode !== null)
      throw new Error(
        `the server exited (${server.child.exitCode}) while starting; see ${server.logFile}`,
      );
    try {
      const response = await fetch(
        `http://${HOST}:${server.port}${request.path}`,
        { ...request, signal: AbortSignal.timeout(1_000) },
      );
      await response.arrayBuffer();
      if (response.status === 200) return performance.now() - startedAt;
    } catch {
      // Not listening yet.
    }
    await sleep(POLL_MS);
  }
  throw new Error(
    `no 200 for ${request.path} within ${GIVE_UP_MS} ms; see ${server.logFile}`,
  );
}

async function startOnce(dir, env, run) {
  const startedAt = performance.now();
  const server = await spawnNode({
    name: `cold-start-${run}`,
    script: STANDALONE_MAIN,
    cwd: dir,
    env,
  });
  try {
    const [healthMs, acceptedMs] = await Promise.all([
      firstOk(server, startedAt, { method: 'GET', path: '/health' }),
      firstOk(server, startedAt, {
        method: 'POST',
        path: '/auth/lostPassword',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: `cold-${run}@example.com` }),
      }),
    ]);
    return { healthMs, acceptedMs, peakMiB: peakResidentMiB(server) };
  } finally {
    await stopServer(server);
  }
}

export async function runColdStart(settings) {
  const dir = makeTempDir('cold-start');
  const env = standaloneEnvironment(dir);
  const runs = [];
  try {
    for (let run = 0; run < settings.coldStarts; run++) {
      const result = await startOnce(dir, env, run);
      console.log(
        `  ${run === 0 ? 'first start (new database)' : `restart ${run}`}: /health ${result.healthMs.toFixed(0)} ms, ` +
          `first accepted lostPassword ${result.acceptedMs.toFixed(0)} ms`,
      );
      runs.push(result);
    }
  } finally {
    removeServerDir({ dir });
  }
  return { runs };
}
