// Mail drain: reset mails for distinct users, queued through
// `POST /auth/lostPassword` as fast as the instances accept them, delivered to
// an SMTP server on loopback (smtp-server, in the bench process), with one and
// with three instances sharing a PostgreSQL database (a new database each time).
// The rate is mails delivered per second from the first request to the last
// mail; how long queueing took is reported beside it. The SMTP server is the
// packaging test's (it parses every mail, so a malformed one would fail the run).
//
// smtp-server (like many MTAs) waits 100 ms before it greets a new
// connection, to catch clients that talk too early. The baseline, measured in
// the same run into a sink of the same kind, is nodemailer alone with its own
// pool of five connections sending the same number of mails of about the same
// size: the mail path's own limit, which the module's rate is a fraction of.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import nodemailer from 'nodemailer';
import { startSmtpSink } from '../test/package/smtp-sink.mjs';
import {
  addUsersSharingOneHash,
  peakResidentMiB,
  removeServerDir,
  startStandaloneServer,
  stopServer,
  withPostgresDatabase,
} from './support.mjs';

const QUEUE_CONCURRENCY = 32;
const PASSWORD = 'a long benchmark password';

/** One POST per user, QUEUE_CONCURRENCY at a time, the instances taking turns; returns how many were not 200. */
async function queueResets(servers, count) {
  let next = 0;
  let refused = 0;
  async function sender() {
    while (next < count) {
      const i = next++;
      const response = await fetch(
        `${servers[i % servers.length].url}/auth/lostPassword`,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: `drain-${i}@example.com` }),
        },
      );
      await response.arrayBuffer();
      if (response.status !== 200) refused++;
    }
  }
  await Promise.all(Array.from({ length: QUEUE_CONCURRENCY }, sender));
  return refused;
}

/** What nodemailer alone, pooled (five connections), delivers to the sink: as many mails as the drain, each to its own recipient. */
async function rawNodemailer(settings) {
  const sink = await startSmtpSink();
  const transport = nodemailer.createTransport({
    url: sink.url,
    pool: true,
    maxConnections: 5,
  });
  try {
    const link = `http://localhost:8090/auth/resetPassword?token=${randomBytes(300).toString('base64url')}`;
    const startedAt = performance.now();
    await Promise.all(
      Array.from({ length: settings.drainMails }, (_, i) =>
        transport.sendMail({
          from: 'no-reply@localhost',
          to: `drain-${i}@example.com`,
          subject: 'Reset your password',
          text: `Reset it here: ${link}`,
          html: `<p><a href="${link}">Reset it</a></p>`,
        }),
      ),
    );
    const drainedMs = performance.now() - startedAt;
    const mails = sink.received().length;
    console.log(
      `  nodemailer alone, pooled (5 connections): ${mails} mails in ${(drainedMs / 1000).toFixed(2)} s (${(mails / (drainedMs / 1000)).toFixed(0)} mails/s)`,
    );
    return {
      mails,
      drainedMs,
      mailsPerSecond: mails / (drainedMs / 1000),
      complete: mails >= settings.drainMails,
      refused: 0,
    };
  } finally {
    transport.close();
    await sink.close();
  }
}

async function drainWith(settings, instances) {
  const sink = await startSmtpSink();
  const servers = [];
  try {
    return await withPostgresDatabase('drain', async (databaseUrl) => {
      const env = {
        SMTP_URL: sink.url,
        JWT_SECRET: randomBytes(36).toString('base64url'),
      };
      servers.push(await startStandaloneServer({ databaseUrl, env }));
      await addUsersSharingOneHash(
        databaseUrl,
        'drain',
        settings.drainMails,
        PASSWORD,
      );
      servers.push(
        ...(await Promise.all(
          Array.from({ length: instances - 1 }, () =>
            startStandaloneServer({ databaseUrl, env }),
          ),
        )),
      );

      const startedAt = performance.now();
      const refused = await queueResets(servers, settings.drainMails);
      const queuedMs = performance.now() - startedAt;
      const deadline = startedAt + settings.drainTimeoutMs;
      while (
        sink.received().length < settings.drainMails &&
        performance.now() < deadline
      )
        await sleep(10);
      const drainedMs = performance.now() - startedAt;
      const mails = sink.received().length;
      const result = {
        instances,
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
        `  ${instances} instance(s): ${mails} mails to ${result.recipients} recipients in ${(drainedMs / 1000).toFixed(2)} s ` +
          `(${result.mailsPerSecond.toFixed(0)} mails/s; queueing took ${(queuedMs / 1000).toFixed(2)} s, ${refused} not 200)` +
          (result.complete
            ? ''
            : ` - INCOMPLETE after ${settings.drainTimeoutMs / 1000} s`),
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
  const rawNodemailerPooled = await rawNodemailer(settings);
  const oneInstance = await drainWith(settings, 1);
  const threeInstances = await drainWith(settings, 3);
  const ratio = oneInstance.mailsPerSecond / rawNodemailerPooled.mailsPerSecond;
  console.log(`  one instance at ${ratio.toFixed(2)}x nodemailer alone`);
  return { rawNodemailerPooled, oneInstance, threeInstances };
}
