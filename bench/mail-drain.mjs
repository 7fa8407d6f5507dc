// Mail drain: reset mails for distinct users, queued through
// `POST /auth/lostPassword` as fast as the instances accept them, delivered to
// an SMTP server on loopback (smtp-server, in the bench process), with one and
// with three instances sharing a PostgreSQL database (a new database each time).
// The rate is mails delivered per second from the first request to the last
// mail; how long queueing took is reported beside it. The SMTP server is the
// packaging test's (it parses every mail, so a malformed one would fail the run).
//
// The module sends each mail over a connection of its own, five at a time,
// and smtp-server (like many MTAs) waits 100 ms before it greets a new
// connection, to catch clients that talk too early. A third run, one instance
// with `?pool=true` on SMTP_URL (nodemailer then keeps its connections open),
// shows how much of the time that wait is.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { startSmtpSink } from '../test/package/smtp-sink.mjs';
import { addUsersSharingOneHash, peakResidentMiB, removeServerDir, startStandaloneServer, stopServer, withPostgresDatabase } from './support.mjs';

const QUEUE_CONCURRENCY = 32;
const PASSWORD = 'a long benchmark password';

/** One POST per user, QUEUE_CONCURRENCY at a time, the instances taking turns; returns how many were not 200. */
async function queueResets(servers, count) {
  let next = 0;
  let refused = 0;
  async function sender() {
    while (next < count) {
      const i = next++;
      const response = await fetch(`${servers[i % servers.length].url}/auth/lostPassword`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: `drain-${i}@example.com` }),
      });
      await response.arrayBuffer();
      if (response.status !== 200) refused++;
    }
  }
  await Promise.all(Array.from({ length: QUEUE_CONCURRENCY }, sender));
  return refused;
}

async function drainWith(settings, instances, pooled = false) {
  const sink = await startSmtpSink();
  const servers = [];
  try {
    return await withPostgresDatabase('drain', async (databaseUrl) => {
      const env = { SMTP_URL: pooled ? `${sink.url}/?pool=true` : sink.url, JWT_SECRET: randomBytes(36).toString('base64url') };
      servers.push(await startStandaloneServer({ databaseUrl, env }));
      await addUsersSharingOneHash(databaseUrl, 'drain', settings.drainMails, PASSWORD);
      servers.push(...(await Promise.all(Array.from({ length: instances - 1 }, () => startStandaloneServer({ databaseUrl, env })))));

      const startedAt = performance.now();
      const refused = await queueResets(servers, settings.drainMails);
      const queuedMs = performance.now() - startedAt;
      const deadline = startedAt + settings.drainTimeoutMs;
      while (sink.received().length < settings.drainMails && performance.now() < deadline) await sleep(10);
      const drainedMs = performance.now() - startedAt;
      const mails = sink.received().length;
      const result = {
        instances,
        pooled,
        mails,
        recipients: new Set(sink.received().flatMap((mail) => mail.to)).size,
        refused,
        queuedMs,
        drainedMs,
        mailsPerSecond: mails / (drainedMs / 1000),
        complete: mails >= settings.drainMails,
        peakMiB: Math.max(...servers.map(peakResidentMiB)),
      };
      console.log(
        `  ${instances} instance(s)${pooled ? ', pooled SMTP connections' : ''}: ${mails} mails to ${result.recipients} recipients in ${(drainedMs / 1000).toFixed(2)} s ` +
          `(${result.mailsPerSecond.toFixed(0)} mails/s; queueing took ${(queuedMs / 1000).toFixed(2)} s, ${refused} not 200)` +
          (result.complete ? '' : ` - INCOMPLETE after ${settings.drainTimeoutMs / 1000} s`),
      );
      await Promise.all(servers.map(stopServer));
      return result;
    });
  } finally {
    await Promise.all(servers.map(stopServer));
    servers.forEach(removeServerDir);
    await sink.close();
  }
}

export async function runMailDrain(settings) {
  return {
    oneInstance: await drainWith(settings, 1),
    threeInstances: await drainWith(settings, 3),
    oneInstancePooled: await drainWith(settings, 1, true),
  };
}
