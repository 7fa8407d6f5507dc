// `npm run bench`: every benchmark of docs/benchmarks.md in one run, written
// to bench/results.json (every figure) and bench/results.svg (the throughput
// chart), and printed as that page's tables (bench/report.mjs prints
// it again from results.json). `npm run bench -- --quick` is a smoke run of
// every part in about a minute, written to a temporary directory instead:
// its figures mean nothing.
//
// Settings (environment): BENCH_DURATION seconds per measured round (default
// 10), BENCH_ROUNDS of each throughput target (2), BENCH_CONNECTIONS (50), BENCH_WARMUP seconds before each measurement
// (3), BENCH_CPU_REQUESTS over which each server's CPU per request is measured (20000) in BENCH_CPU_ROUNDS (3), BENCH_COLD_STARTS (5), BENCH_DRAIN_MAILS (2000), BENCH_RESET_LINKS per
// phase (60), BENCH_RESET_CONCURRENCY (8), BENCH_POSTGRES_URL
// (postgres://postgres@127.0.0.1:5432), BENCH_PEER_VERSION (better-auth's),
// BENCH_KEEP_TMP=1 keeps the servers' directories, BENCH_NODE_ARGS go to
// every server process (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof").
//
// `npm run bench -- soak --minutes N` is the soak run instead (bench/soak.mjs),
// written to bench/soak-results.json; with --quick it is a smoke run.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { runColdStart } from './cold-start.mjs';
import { runMailDrain } from './mail-drain.mjs';
import { markdownReport, svgChart, targetsOf } from './report.mjs';
import { runResetBurst } from './reset-burst.mjs';
import { runSoak } from './soak.mjs';
import { envInteger, ROOT, runMain } from './support.mjs';
import { runThroughput } from './throughput.mjs';

const quick = process.argv.includes('--quick');

const settings = quick
  ? {
      quick,
      duration: 1,
      rounds: 2,
      connections: 10,
      warmup: 1,
      cpuRequests: 500,
      cpuRounds: 2,
      coldStarts: 2,
      drainMails: 60,
      drainTimeoutMs: 60_000,
      resetLinks: 4,
      resetConcurrency: 4,
    }
  : {
      quick,
      duration: envInteger('BENCH_DURATION', 10, { min: 1, max: 600 }),
      rounds: envInteger('BENCH_ROUNDS', 2, { min: 2, max: 20 }),
      connections: envInteger('BENCH_CONNECTIONS', 50, { min: 1, max: 1000 }),
      warmup: envInteger('BENCH_WARMUP', 3, { min: 0, max: 60 }),
      cpuRequests: envInteger('BENCH_CPU_REQUESTS', 20_000, {
        min: 100,
        max: 10_000_000,
      }),
      cpuRounds: envInteger('BENCH_CPU_ROUNDS', 3, { min: 1, max: 20 }),
      coldStarts: envInteger('BENCH_COLD_STARTS', 5, { min: 1, max: 50 }),
      drainMails: envInteger('BENCH_DRAIN_MAILS', 2000, {
        min: 10,
        max: 100_000,
      }),
      drainTimeoutMs: 300_000,
      resetLinks: envInteger('BENCH_RESET_LINKS', 60, { min: 2, max: 10_000 }),
      resetConcurrency: envInteger('BENCH_RESET_CONCURRENCY', 8, {
        min: 1,
        max: 256,
      }),
    };

function machine() {
  const cpus = os.cpus();
  return {
    node: process.version,
    os: `${os.platform()} ${os.release()} (${os.arch()})`,
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    loadAverageAtStart: os.loadavg(),
  };
}

async function part(title, run) {
  console.log(`## ${title}`);
  const startedAt = performance.now();
  const result = await run(settings);
  console.log(`  (${((performance.now() - startedAt) / 1000).toFixed(0)} s)`);
  console.log('');
  return result;
}

async function main() {
  const outDir = quick
    ? mkdtempSync(join(os.tmpdir(), 'password-reset-bench-quick-'))
    : join(ROOT, 'bench');
  mkdirSync(outDir, { recursive: true });
  const results = {
    date: new Date().toISOString(),
    quick,
    settings,
    machine: machine(),
  };
  console.log(
    `# Benchmarks${quick ? ' (--quick: a smoke run, the figures mean nothing)' : ''}`,
  );
  console.log(
    `${results.machine.cpu}, ${results.machine.cores} cores, Node ${results.machine.node}; load average ${results.machine.loadAverageAtStart.map((n) => n.toFixed(2)).join(' ')}`,
  );
  console.log('');
  results.throughput = await part(
    'Throughput: lostPassword against bare Nest (Express, Fastify) and better-auth',
    runThroughput,
  );
  results.coldStart = await part('Cold start', runColdStart);
  results.mailDrain = await part(
    'Mail drain to SMTP, PostgreSQL',
    runMailDrain,
  );
  results.resetBurst = await part(
    'Reset throughput, and lostPassword during a reset burst',
    runResetBurst,
  );
  results.machine.loadAverageAtEnd = os.loadavg();
  results.targets = targetsOf(results);

  writeFileSync(
    join(outDir, 'results.json'),
    `${JSON.stringify(results, null, 2)}\n`,
  );
  writeFileSync(join(outDir, 'results.svg'), svgChart(results));
  console.log(markdownReport(results));
  console.log('');
  console.log(
    `written: ${join(outDir, 'results.json')} and ${join(outDir, 'results.svg')}`,
  );
  const missing = results.targets.filter((target) => target.met === null);
  if (missing.length > 0)
    throw new Error(
      `no figure for: ${missing.map((target) => target.name).join(', ')}`,
    );
  const failures = failuresIn(results);
  if (failures.length > 0)
    throw new Error(
      `requests failed, so the figures are not what they say: ${failures.join('; ')}`,
    );
}

/** Requests that were not answered as they should have been, and mails that did not arrive: the run measured something else. */
function failuresIn({ throughput, mailDrain, resetBurst }) {
  const loads = [
    ...Object.entries(throughput.platforms).flatMap(([platform, pair]) =>
      Object.entries(pair).map(([target, s]) => [`${target} ${platform}`, s]),
    ),
    ['better-auth', throughput.peer],
  ].flatMap(([name, s]) =>
    s.rounds.map((round, i) => [`${name} round ${i + 1}`, round]),
  );
  loads.push(
    ['lostPassword without resets', resetBurst.lostPasswordQuiet],
    ['lostPassword during resets', resetBurst.lostPasswordDuringBurst],
  );
  return [
    ...loads
      .filter(([, s]) => s.non2xx + s.errors > 0)
      .map(([name, s]) => `${name}: ${s.non2xx} non-2xx, ${s.errors} errors`),
    ...Object.entries(mailDrain)
      .filter(([, drain]) => !drain.complete || drain.refused > 0)
      .map(
        ([name, drain]) =>
          `mail drain ${name}: ${drain.mails} mails, ${drain.refused} requests refused`,
      ),
    ...[resetBurst.alone, resetBurst.underLoad]
      .filter((burst) => burst.failed > 0)
      .map((burst) => `${burst.failed} resets not 200`),
  ];
}

/** The soak run; its figures are written whether or not every check held, and a check that failed makes the run fail. */
async function soak() {
  const result = await runSoak(process.argv, { quick });
  if (!quick) {
    const file = join(ROOT, 'bench', 'soak-results.json');
    writeFileSync(
      file,
      `${JSON.stringify({ date: new Date().toISOString(), machine: { ...machine(), loadAverageAtEnd: os.loadavg() }, ...result }, null, 2)}\n`,
    );
    console.log(`written: ${file}`);
  }
  const failed = result.checks
    .filter((check) => !check.held)
    .map((check) => check.name);
  if (failed.length > 0)
    throw new Error(`soak checks failed: ${failed.join(', ')}`);
}

runMain(process.argv[2] === 'soak' ? soak : main);
