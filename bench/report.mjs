// docs/benchmarks.md's tables and the SVG chart, from the figures of a run.
// bench/run.mjs uses it at the end of a run; on its own,
//
//   node bench/report.mjs [bench/results.json]
//
// prints the table again from a results file, e.g. after a re-run on a quiet machine.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { markdownTable, ROOT } from './support.mjs';

/** Growth between the two identical rounds that is still noise: the larger of these. */
const RSS_NOISE_MIB = 5;
const RSS_NOISE_RATIO = 0.05;

const ratio = (a, b) =>
  Number.isFinite(a) && Number.isFinite(b) && b > 0 ? a / b : NaN;
const maxOf = (values) => Math.max(...values.filter(Number.isFinite));

/** The figures the targets are about, each computed once. */
export function figuresOf(results) {
  const { platforms, peer } = results.throughput;
  const express = platforms.express;
  const fastify = platforms.fastify;
  const ours = (platform) => platform.ours;
  const lastTwo = (platform) => platform.ours.rounds.slice(-2);
  const growth = (platform) =>
    lastTwo(platform)[1].residentMiB - lastTwo(platform)[0].residentMiB;
  const burst = results.resetBurst;
  return {
    expressRatio: ratio(
      ours(express).requestsPerSecond,
      express.bare.requestsPerSecond,
    ),
    fastifyRatio: ratio(
      ours(fastify).requestsPerSecond,
      fastify.bare.requestsPerSecond,
    ),
    // How much of ours the bare endpoint's CPU per request is: 1 when a request costs no more than a bare one.
    expressCpuRatio: ratio(
      express.bare.cpuMicrosPerRequest,
      ours(express).cpuMicrosPerRequest,
    ),
    fastifyCpuRatio: ratio(
      fastify.bare.cpuMicrosPerRequest,
      ours(fastify).cpuMicrosPerRequest,
    ),
    peerThroughputRatio: ratio(
      ours(express).requestsPerSecond,
      peer.requestsPerSecond,
    ),
    peerP99Ratio: ratio(ours(express).p99, peer.p99),
    peakMiB: maxOf([
      express.ours.peakMiB,
      fastify.ours.peakMiB,
      ...results.coldStart.runs.map((run) => run.peakMiB),
      results.mailDrain.oneInstance.peakMiB,
      results.mailDrain.threeInstances.peakMiB,
    ]),
    resetPeakMiB: burst.peakMiB,
    growth: { express: growth(express), fastify: growth(fastify) },
    residentBefore: {
      express: lastTwo(express)[0].residentMiB,
      fastify: lastTwo(fastify)[0].residentMiB,
    },
    coldStartHealthMs: maxOf(results.coldStart.runs.map((run) => run.healthMs)),
    coldStartAcceptedMs: maxOf(
      results.coldStart.runs.map((run) => run.acceptedMs),
    ),
    drainOne: results.mailDrain.oneInstance.complete
      ? results.mailDrain.oneInstance.mailsPerSecond
      : NaN,
    drainThree: results.mailDrain.threeInstances.complete
      ? results.mailDrain.threeInstances.mailsPerSecond
      : NaN,
    drainRawRatio: results.mailDrain.oneInstance.complete
      ? ratio(
          results.mailDrain.oneInstance.mailsPerSecond,
          results.mailDrain.rawNodemailerPooled.mailsPerSecond,
        )
      : NaN,
    resetsPerSecond: burst.alone.resetsPerSecond,
    burstP99Ratio: ratio(
      burst.lostPasswordDuringBurst.p99,
      burst.lostPasswordQuiet.p99,
    ),
  };
}

// A drop is no leak: only growth counts.
const within = (growth, base) =>
  growth <= Math.max(RSS_NOISE_MIB, RSS_NOISE_RATIO * base);
const judged = (value, test) => (Number.isFinite(value) ? test(value) : null);
const fixed = (value, digits) =>
  Number.isFinite(value) ? value.toFixed(digits) : 'n/a';

/** Each target with the figure it is judged by; `met` is null when the figure is missing. */
export function targetsOf(results) {
  const f = figuresOf(results);
  const growthMet = (platform) =>
    judged(f.growth[platform], (g) => within(g, f.residentBefore[platform]));
  return [
    {
      name: 'lostPassword ≥ 0.8× bare Nest, Express',
      figure: `${fixed(f.expressRatio, 2)}×`,
      met: judged(f.expressRatio, (v) => v >= 0.8),
    },
    {
      name: 'lostPassword ≥ 0.8× bare Nest, Fastify',
      figure: `${fixed(f.fastifyRatio, 2)}×`,
      met: judged(f.fastifyRatio, (v) => v >= 0.8),
    },
    {
      name: 'server CPU per lostPassword: bare Nest’s ≥ 0.95× ours, Express',
      figure: `${fixed(f.expressCpuRatio, 2)}×`,
      met: judged(f.expressCpuRatio, (v) => v >= 0.95),
    },
    {
      name: 'server CPU per lostPassword: bare Nest’s ≥ 0.8× ours, Fastify',
      figure: `${fixed(f.fastifyCpuRatio, 2)}×`,
      met: judged(f.fastifyCpuRatio, (v) => v >= 0.8),
    },
    {
      name: '≥ 5× better-auth’s throughput',
      figure: `${fixed(f.peerThroughputRatio, 2)}×`,
      met: judged(f.peerThroughputRatio, (v) => v >= 5),
    },
    {
      name: 'p99 no worse than better-auth’s',
      figure: `${fixed(f.peerP99Ratio, 2)}× its p99`,
      met: judged(f.peerP99Ratio, (v) => v <= 1),
    },
    {
      name: 'peak RSS < 200 MiB: lostPassword load, start, mail drain',
      figure: `${fixed(f.peakMiB, 0)} MiB`,
      met: judged(f.peakMiB, (v) => v < 200),
    },
    {
      name: 'peak RSS < 256 MiB: reset burst',
      figure: `${fixed(f.resetPeakMiB, 0)} MiB`,
      met: judged(f.resetPeakMiB, (v) => v < 256),
    },
    {
      name: `no RSS growth between rounds beyond noise (${RSS_NOISE_MIB} MiB or ${RSS_NOISE_RATIO * 100} %)`,
      figure: `Express ${fixed(f.growth.express, 1)} MiB, Fastify ${fixed(f.growth.fastify, 1)} MiB`,
      met:
        growthMet('express') === null || growthMet('fastify') === null
          ? null
          : growthMet('express') && growthMet('fastify'),
    },
    {
      name: 'cold start < 2 s to /health',
      figure: `${fixed(f.coldStartHealthMs, 0)} ms (slowest start)`,
      met: judged(f.coldStartHealthMs, (v) => v < 2000),
    },
    {
      name: 'mail drain ≥ 200 mails/s, one instance',
      figure: `${fixed(f.drainOne, 0)} mails/s`,
      met: judged(f.drainOne, (v) => v >= 200),
    },
    {
      name: 'mail drain ≥ 0.6× nodemailer alone (pooled, 5 connections), one instance',
      figure: `${fixed(f.drainRawRatio, 2)}×`,
      met: judged(f.drainRawRatio, (v) => v >= 0.6),
    },
    {
      name: 'mail drain faster with three instances',
      figure: `${fixed(f.drainThree, 0)} mails/s`,
      met: judged(f.drainThree, (v) => v > f.drainOne),
    },
    {
      name: 'lostPassword p99 during a reset burst ≤ 2× without',
      figure: `${fixed(f.burstP99Ratio, 2)}×`,
      met: judged(f.burstP99Ratio, (v) => v <= 2),
    },
  ];
}

const verdict = (met) => (met === null ? 'no figure' : met ? 'met' : 'missed');

function throughputRows(results) {
  const { platforms, peer } = results.throughput;
  const failed = (s) =>
    s.rounds.reduce((sum, round) => sum + round.non2xx + round.errors, 0);
  const row = (name, s) => [
    name,
    fixed(s.requestsPerSecond, 0),
    s.rounds.map((round) => fixed(round.requestsPerSecond, 0)).join(', '),
    String(s.p50),
    String(s.p99),
    String(failed(s)),
    s.cpuMicrosPerRequest === undefined
      ? 'n/a'
      : `${fixed(s.cpuMicrosPerRequest, 0)} (user ${fixed(s.cpuRound.userMicrosPerRequest, 0)}; ${fixed(s.cpuRound.requestsPerSecond, 0)} req/s)`,
    (s.cpuRounds ?? [])
      .map((round) => fixed(round.cpuMicrosPerRequest, 0))
      .join(', '),
  ];
  return [
    row(
      'bare Nest, Express (`POST /bare`, ValidationPipe)',
      platforms.express.bare,
    ),
    row('ours, Express (`POST /auth/lostPassword`)', platforms.express.ours),
    row(
      `better-auth ${peer.version} (\`POST /api/auth/request-password-reset\`)`,
      peer,
    ),
    row('bare Nest, Fastify', platforms.fastify.bare),
    row('ours, Fastify', platforms.fastify.ours),
  ];
}

const residentAfterRounds = (platform) =>
  platform.ours.rounds.map((round) => fixed(round.residentMiB, 1)).join(' / ');

/** docs/benchmarks.md's tables for one run, in Markdown. */
export function markdownReport(results) {
  const { machine, settings } = results;
  const f = figuresOf(results);
  const burst = results.resetBurst;
  const drain = results.mailDrain;
  const cold = results.coldStart.runs;
  const lines = [
    `Run of ${results.date.slice(0, 10)}${results.quick ? ' (--quick smoke: figures meaningless)' : ''}: ${machine.cpu}, ${machine.cores} cores, ` +
      `${machine.memoryGiB} GiB, Node ${machine.node}, ${machine.os}; load average ${machine.loadAverageAtStart[0].toFixed(2)} at the start, ` +
      `${machine.loadAverageAtEnd[0].toFixed(2)} at the end; autocannon on the same machine, ${settings.connections} connections, ` +
      `${settings.rounds} rounds of ${settings.duration} s per target, taken in turns, after ${settings.warmup} s of warm-up; the best round counts. ` +
      `Server CPU: all of the server process's CPU time (user and system, every thread) over ${settings.cpuRequests} more requests (ours: until its worker processed them), ` +
      `in ${settings.cpuRounds} rounds taken in turns; the cheapest round counts, its user time and rate beside it.`,
    '',
    markdownTable(
      [
        'target',
        'requests/s (best round)',
        'each round',
        'p50 ms',
        'p99 ms',
        'failed',
        'server CPU µs/request',
        'each CPU round',
      ],
      throughputRows(results),
      ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
    ),
    '',
    markdownTable(
      ['figure', 'value'],
      [
        [
          'resident memory after each round, Express',
          `${residentAfterRounds(results.throughput.platforms.express)} MiB`,
        ],
        [
          'resident memory after each round, Fastify',
          `${residentAfterRounds(results.throughput.platforms.fastify)} MiB`,
        ],
        [
          'peak resident memory: lostPassword load, start, mail drain / reset burst',
          `${fixed(f.peakMiB, 1)} / ${fixed(f.resetPeakMiB, 1)} MiB`,
        ],
        [
          'cold start to `/health` 200: new database / restarts',
          `${fixed(cold[0].healthMs, 0)} ms / ${cold
            .slice(1)
            .map((run) => fixed(run.healthMs, 0))
            .join(', ')} ms`,
        ],
        [
          'cold start to the first accepted lostPassword: new database / restarts',
          `${fixed(cold[0].acceptedMs, 0)} ms / ${cold
            .slice(1)
            .map((run) => fixed(run.acceptedMs, 0))
            .join(', ')} ms`,
        ],
        [
          `mail drain, ${drain.oneInstance.mails} mails, one instance`,
          `${fixed(drain.oneInstance.mailsPerSecond, 0)} mails/s (queued in ${fixed(drain.oneInstance.queuedMs / 1000, 2)} s)`,
        ],
        [
          `mail drain, ${drain.threeInstances.mails} mails, three instances`,
          `${fixed(drain.threeInstances.mailsPerSecond, 0)} mails/s (queued in ${fixed(drain.threeInstances.queuedMs / 1000, 2)} s)`,
        ],
        [
          `mail drain, ${drain.rawNodemailerPooled.mails} mails, nodemailer alone (pooled, 5 connections)`,
          `${fixed(drain.rawNodemailerPooled.mailsPerSecond, 0)} mails/s (one instance at ${fixed(f.drainRawRatio, 2)}×)`,
        ],
        [
          `resets (\`POST /auth/resetPassword\`), ${burst.concurrency} at a time`,
          `${fixed(burst.alone.resetsPerSecond, 1)}/s alone, ${fixed(burst.underLoad.resetsPerSecond, 1)}/s under the lostPassword load`,
        ],
        [
          `lostPassword p99 at ${burst.lostPasswordRate} req/s: without / during the reset burst`,
          `${burst.lostPasswordQuiet.p99} / ${burst.lostPasswordDuringBurst.p99} ms`,
        ],
      ],
      ['left', 'right'],
    ),
    '',
    markdownTable(
      ['target', 'figure', ''],
      targetsOf(results).map((t) => [t.name, t.figure, verdict(t.met)]),
      ['left', 'right', 'left'],
    ),
  ];
  return lines.join('\n');
}

const escapeXml = (text) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Requests per second of each target as horizontal bars, p99 beside each. */
export function svgChart(results) {
  const { platforms, peer } = results.throughput;
  const bars = [
    ['bare Nest, Express', platforms.express.bare, '#9aa5b1'],
    ['ours, Express', platforms.express.ours, '#2f6fbd'],
    ['bare Nest, Fastify', platforms.fastify.bare, '#9aa5b1'],
    ['ours, Fastify', platforms.fastify.ours, '#2f6fbd'],
    [`better-auth ${peer.version}`, peer, '#c9772b'],
  ];
  const width = 640;
  const left = 150;
  const barHeight = 22;
  const gap = 10;
  const top = 34;
  const scale =
    (width - left - 170) /
    Math.max(...bars.map(([, s]) => s.requestsPerSecond), 1);
  const height = top + bars.length * (barHeight + gap) + 10;
  const rows = bars.map(([label, s, colour], i) => {
    const y = top + i * (barHeight + gap);
    const length = Math.max(1, s.requestsPerSecond * scale);
    return [
      `<text x="${left - 8}" y="${y + 15}" text-anchor="end">${escapeXml(label)}</text>`,
      `<rect x="${left}" y="${y}" width="${length.toFixed(1)}" height="${barHeight}" fill="${colour}"/>`,
      `<text x="${(left + length + 6).toFixed(1)}" y="${y + 15}">${s.requestsPerSecond.toFixed(0)} req/s, p99 ${s.p99} ms</text>`,
    ].join('');
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="10" y="20" font-weight="bold">POST lost-password throughput, ${escapeXml(results.machine.cpu)} × ${results.machine.cores}, ${results.date.slice(0, 10)}</text>`,
    ...rows,
    '</svg>',
    '',
  ].join('\n');
}

if (
  process.argv[1] &&
  import.meta.url === pathToFileURL(process.argv[1]).href
) {
  const file = process.argv[2] ?? join(ROOT, 'bench/results.json');
  console.log(markdownReport(JSON.parse(readFileSync(file, 'utf8'))));
}
