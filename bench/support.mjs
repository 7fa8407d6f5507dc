// What the benchmarks share: starting the servers as child processes on
// loopback, each with a throw-away directory; their memory; creating users;
// settings from the environment; and the report's small helpers.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  createWriteStream,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

export const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
export const STANDALONE_MAIN = join(ROOT, 'dist/src/standalone/main.js');
const USERS_CLI = join(ROOT, 'dist/src/standalone/cli/users.js');
const BARE_SERVER = join(ROOT, 'bench/bare-server.mjs');

/**
 * How `npm start` runs the standalone server's script, read from package.json
 * so that the benchmarks start it as operators do: the environment it sets
 * (glibc's malloc settings) and the flags it gives node (the heap's limits).
 */
const STANDALONE_COMMAND =
  /\b((?:[A-Z_]+=\S+ )*)node ((?:--\S+ )*)dist\/src\/standalone\/main\.js/.exec(
    JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts.start,
  );
const wordsOf = (text) => text.split(' ').filter(Boolean);
const STANDALONE_ENV = Object.fromEntries(
  wordsOf(STANDALONE_COMMAND[1]).map((assignment) => [
    assignment.slice(0, assignment.indexOf('=')),
    assignment.slice(assignment.indexOf('=') + 1),
  ]),
);
const STANDALONE_NODE_ARGS = wordsOf(STANDALONE_COMMAND[2]);

/** Only loopback is ever targeted. */
export const HOST = '127.0.0.1';

const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 5_000;

// ---------------------------------------------------------------- settings

/** A whole number from the environment, checked against a range so that every loop stays bounded. */
export function envInteger(name, fallback, { min, max }) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new Error(
      `${name} must be a whole number from ${min} to ${max} (got "${raw}")`,
    );
  }
  return value;
}

/** What the numbers were measured on; they mean little without it. */
export function printEnvironment(title) {
  const cpus = os.cpus();
  console.log(`# ${title}`);
  console.log('');
  console.log(
    `Node ${process.version} on ${os.platform()} ${os.release()} (${os.arch()})`,
  );
  console.log(
    `CPU: ${cpus[0]?.model ?? 'unknown'}, ${cpus.length} cores (available parallelism ${os.availableParallelism()})`,
  );
  console.log(
    `Memory: ${Math.round(os.totalmem() / 2 ** 30)} GiB; load average ${os
      .loadavg()
      .map((n) => n.toFixed(2))
      .join(' ')}`,
  );
  console.log('');
}

// ---------------------------------------------------------------- child processes

const running = new Set();
/** Every server directory made, so that a failed run can say where the logs are. */
const serverDirs = [];

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, HOST, () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/** The last lines a server logged, for the error message when it does not come up. */
function tail(file, lines = 30) {
  try {
    return readFileSync(file, 'utf8')
      .trimEnd()
      .split('\n')
      .slice(-lines)
      .join('\n');
  } catch {
    return '(no log)';
  }
}

/** Polls until the server answers the readiness request with 200, it dies, or time runs out. */
async function waitUntilReady(child, url, ready, logFile) {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `server exited (${child.exitCode ?? child.signalCode}) before it was ready; its log:\n${tail(logFile)}`,
      );
    }
    try {
      const response = await fetch(url + ready.path, {
        method: ready.method,
        headers: ready.body
          ? { 'content-type': 'application/json' }
          : undefined,
        body: ready.body,
        signal: AbortSignal.timeout(1_000),
      });
      await response.arrayBuffer();
      if (response.status === 200) return;
    } catch {
      // Not listening yet.
    }
    await sleep(100);
  }
  throw new Error(
    `server did not answer ${ready.method} ${ready.path} with 200 within ${START_TIMEOUT_MS} ms; its log:\n${tail(logFile)}`,
  );
}

/**
 * Starts `node script` in `cwd` with exactly `env` (plus PATH), its output going
 * to a log file, and resolves once it answers. The environment is not inherited,
 * so a stray SMTP_URL or REDIS_URL in the caller's shell cannot change what is measured.
 */
async function startNode({ name, script, cwd, env, ready }) {
  const server = await spawnNode({ name, script, cwd, env });
  await waitUntilReady(server.child, server.url, ready, server.logFile);
  return server;
}

/** Starts `node script` as startNode does, without waiting for it: for the cold-start measurement. */
export async function spawnNode({ name, script, cwd, env }) {
  const port = await freePort();
  const logFile = join(cwd, `${name}.log`);
  const log = createWriteStream(logFile, { flags: 'a' });
  // BENCH_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", go to every server process: for a profile of what is measured.
  const nodeArgs = [
    ...(script === STANDALONE_MAIN ? STANDALONE_NODE_ARGS : []),
    ...(process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
  ];
  const child = spawn(process.execPath, [...nodeArgs, script], {
    cwd,
    env: {
      PATH: process.env.PATH,
      ...(script === STANDALONE_MAIN ? STANDALONE_ENV : {}),
      ...env,
      PORT: String(port),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  const server = {
    name,
    port,
    url: `http://${HOST}:${port}`,
    dir: cwd,
    logFile,
    child,
  };
  running.add(server);
  child.once('exit', () => running.delete(server));
  return server;
}

/** SIGTERM (the servers shut down gracefully), then SIGKILL if it takes too long. */
export async function stopServer(server) {
  const { child } = server;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timedOut = await Promise.race([
    exited.then(() => false),
    sleep(STOP_TIMEOUT_MS).then(() => true),
  ]);
  if (timedOut) {
    child.kill('SIGKILL');
    await exited;
  }
}

export function makeTempDir(label) {
  const dir = mkdtempSync(join(os.tmpdir(), `password-reset-bench-${label}-`));
  serverDirs.push(dir);
  return dir;
}

/**
 * The standalone server's environment, as `npm start` reads it, for a server in
 * `dir`: its own SQLite database (unless `databaseUrl` says otherwise), mail
 * directory and JWT secret, and the per-IP rate limits off (one client on
 * loopback would hit them at once). `env` adds to it (SMTP_URL, ...).
 */
export function standaloneEnvironment(
  dir,
  {
    adapter = 'express',
    databaseUrl = `sqlite:${join(dir, 'db.sqlite')}`,
    env = {},
  } = {},
) {
  if (!existsSync(STANDALONE_MAIN))
    throw new Error(`${STANDALONE_MAIN} is missing: run "npm run build" first`);
  return {
    HTTP_ADAPTER: adapter,
    DATABASE_URL: databaseUrl,
    MAIL_DIR: join(dir, 'mail'),
    JWT_SECRET: randomBytes(36).toString('base64url'), // 48 characters
    IP_RATE_LIMIT: '0',
    RESET_IP_RATE_LIMIT: '0',
    ...env,
  };
}

/** The standalone server in a fresh directory (see standaloneEnvironment for the options). */
export async function startStandaloneServer(options = {}) {
  const dir = makeTempDir('standalone');
  const env = standaloneEnvironment(dir, options);
  const server = await startNode({
    name: 'standalone',
    script: STANDALONE_MAIN,
    cwd: dir,
    env,
    ready: { method: 'GET', path: '/health' },
  });
  return { ...server, databaseUrl: env.DATABASE_URL, mailDir: env.MAIL_DIR };
}

/** The bare Nest endpoint of bench/bare-server.mjs, the baseline, on `adapter` (express or fastify). */
export async function startBareServer(adapter = 'express') {
  const dir = makeTempDir('bare');
  const body = JSON.stringify({ username: 'ready' });
  return startNode({
    name: 'bare',
    script: BARE_SERVER,
    cwd: dir,
    env: { HTTP_ADAPTER: adapter },
    ready: { method: 'POST', path: '/bare', body },
  });
}

/** Any other server script (the peer), in a fresh directory, ready when `ready` answers 200. */
export async function startScript({ name, script, env, ready }) {
  const dir = makeTempDir(name);
  return startNode({
    name,
    script,
    cwd: dir,
    env: { ...env, DATABASE_FILE: join(dir, 'db.sqlite') },
    ready,
  });
}

// ---------------------------------------------------------------- memory and CPU

/** The unit of /proc/PID/stat's times (USER_HZ): 100 on every Linux that Node runs on. */
const CLOCK_TICKS_PER_SECOND = 100;

/** A field of /proc/PID/status in MiB (VmRSS: resident now; VmHWM: the peak so far), or null off Linux. */
function procStatusMiB(server, field) {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(
      readFileSync(`/proc/${server.child.pid}/status`, 'utf8'),
    );
    return match ? Number(match[1]) / 1024 : null;
  } catch {
    return null;
  }
}

export const residentMiB = (server) => procStatusMiB(server, 'VmRSS');

/**
 * CPU time the server process has used so far, every thread's, in µs: user
 * (utime of /proc/PID/stat), system (stime) and their total; null off Linux.
 */
export function cpuMicroseconds(server) {
  try {
    const stat = readFileSync(`/proc/${server.child.pid}/stat`, 'utf8');
    // The fields after the command name, which is in parentheses and may hold spaces: utime and stime are the 14th and 15th of the line.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const user = (Number(fields[11]) * 1e6) / CLOCK_TICKS_PER_SECOND;
    const system = (Number(fields[12]) * 1e6) / CLOCK_TICKS_PER_SECOND;
    return { user, system, total: user + system };
  } catch {
    return null;
  }
}
export const peakResidentMiB = (server) => procStatusMiB(server, 'VmHWM');

/** Stops every server still running; safe to call more than once. */
export async function stopAllServers() {
  await Promise.all([...running].map(stopServer));
}

/** Removes a server's directory once it has stopped; kept when asked to, for a look at logs and mails. */
export function removeServerDir(server) {
  if (process.env.BENCH_KEEP_TMP === '1') {
    console.log(`(kept ${server.dir})`);
    return;
  }
  rmSync(server.dir, { recursive: true, force: true });
}

/** After a failure the servers' directories are left in place, for their logs; says where. */
function reportServerDirs() {
  const left = serverDirs.filter(existsSync);
  if (left.length > 0)
    console.error(
      `server directories left (logs, database, mails): ${left.join(' ')}`,
    );
}

/**
 * Runs a benchmark's main function and stops the servers afterwards, whether
 * it finished, threw, or the user pressed Ctrl-C. A failure is reported with
 * a non-zero exit code.
 */
export function runMain(main) {
  let stopping = false;
  const interrupt = async (signal) => {
    if (stopping) return;
    stopping = true;
    console.error(`\n${signal}: stopping the servers`);
    await stopAllServers();
    reportServerDirs();
    process.exit(130);
  };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  // Last resort if the process exits some other way: no server outlives it.
  process.once('exit', () =>
    running.forEach(({ child }) => child.kill('SIGKILL')),
  );

  main()
    .catch((error) => {
      console.error(`\nbenchmark failed: ${error?.stack ?? error}`);
      reportServerDirs();
      process.exitCode = 1;
    })
    .finally(() => stopAllServers());
}

// ---------------------------------------------------------------- databases

const POSTGRES_URL =
  process.env.BENCH_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432';

/** Runs `work(databaseUrl)` with a new PostgreSQL database, dropped afterwards whatever happens. */
export async function withPostgresDatabase(label, work) {
  const name = `bench_${label}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: `${POSTGRES_URL}/postgres` });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
    try {
      return await work(`${POSTGRES_URL}/${name}`);
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    }
  } finally {
    await admin.end();
  }
}

// ---------------------------------------------------------------- users

/** Adds one user through the built CLI, the way an operator would (`npm run users -- add`). */
export function addUserWithCli(server, { username, email, password }) {
  return new Promise((resolve, reject) => {
    const cli = spawn(
      process.execPath,
      [
        USERS_CLI,
        'add',
        '--username',
        username,
        '--email',
        email,
        '--password',
        password,
      ],
      {
        cwd: server.dir,
        env: { PATH: process.env.PATH, DATABASE_URL: server.databaseUrl },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    cli.stdout.on('data', (chunk) => (output += chunk));
    cli.stderr.on('data', (chunk) => (output += chunk));
    const timer = setTimeout(() => cli.kill('SIGKILL'), START_TIMEOUT_MS);
    cli.on('error', reject);
    cli.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(output.trim());
      else
        reject(
          new Error(`users add ${username} failed (${code}): ${output.trim()}`),
        );
    });
  });
}

/**
 * Adds many users at once with the same built code the CLI runs (UsersService.add
 * on a TypeORM DataSource), in this process: a CLI process per user would pay
 * Node's and TypeORM's start-up each time on top of the scrypt hash. The hashes
 * run `concurrency` at a time, each holding 32 MiB of scrypt memory.
 */
export async function addUsersInProcess(server, users, concurrency = 4) {
  await withUsers(server.databaseUrl, async (service) => {
    for (let start = 0; start < users.length; start += concurrency) {
      const batch = users.slice(start, start + concurrency);
      await Promise.all(
        batch.map(({ username, email, password }) =>
          service.add(username, email, password),
        ),
      );
    }
  });
}

/**
 * Thousands of users for the mail and reset benchmarks: the first through
 * UsersService.add, the others inserted with its password hash, as a scrypt
 * hash each would take minutes. Names are `${prefix}-${i}`, addresses
 * `${prefix}-${i}@example.com`; all share `password`.
 */
export async function addUsersSharingOneHash(
  databaseUrl,
  prefix,
  count,
  password,
) {
  await withUsers(databaseUrl, async (service, repository) => {
    const first = await service.add(
      `${prefix}-0`,
      `${prefix}-0@example.com`,
      password,
    );
    const rows = Array.from({ length: count - 1 }, (_, i) => ({
      username: `${prefix}-${i + 1}`,
      email: `${prefix}-${i + 1}@example.com`,
      passwordHash: first.passwordHash,
      createdAt: Date.now(),
    }));
    for (let start = 0; start < rows.length; start += 500)
      await repository.insert(rows.slice(start, start + 500));
  });
}

/** Runs `work` with the built UsersService on a TypeORM DataSource of `databaseUrl` (migrated), as the CLI does. */
async function withUsers(databaseUrl, work) {
  const require = createRequire(import.meta.url);
  require('reflect-metadata');
  const { DataSource } = require('typeorm');
  const { databaseOptions } = require(
    join(ROOT, 'dist/src/standalone/database/database-options.js'),
  );
  const { runMigrationsInTurn } = require(
    join(ROOT, 'dist/src/standalone/database/migrations-in-turn.js'),
  );
  const { User } = require(
    join(ROOT, 'dist/src/standalone/users/user.entity.js'),
  );
  const { UsersService } = require(
    join(ROOT, 'dist/src/standalone/users/users.service.js'),
  );

  const dataSource = await runMigrationsInTurn(
    await new DataSource({
      ...databaseOptions(databaseUrl),
      logging: false,
    }).initialize(),
  );
  try {
    const repository = dataSource.getRepository(User);
    await work(new UsersService(repository), repository);
  } finally {
    await dataSource.destroy();
  }
}

// ---------------------------------------------------------------- mails

/** How many mails the server has written (.eml files, as no SMTP_URL is set). */
export function countMails(server) {
  if (!existsSync(server.mailDir)) return 0;
  return readdirSync(server.mailDir).filter((file) => file.endsWith('.eml'))
    .length;
}

/** Waits (bounded) until the worker has written at least `expected` mails; returns the count. */
export async function waitForMails(server, expected, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  let count = countMails(server);
  while (count < expected && Date.now() < deadline) {
    await sleep(100);
    count = countMails(server);
  }
  return count;
}

// ---------------------------------------------------------------- reporting

/** A Markdown table; cells are already strings. */
export function markdownTable(header, rows, align) {
  const rule = align.map((a) => (a === 'right' ? '---:' : '---'));
  return [header, rule, ...rows]
    .map((cells) => `| ${cells.join(' | ')} |`)
    .join('\n');
}
