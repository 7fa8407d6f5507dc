import 'reflect-metadata';
import { parseArgs } from 'node:util';
import ms, { type StringValue } from 'ms';
import { DataSource } from 'typeorm';
import { databaseOptions } from '../database/database-options';
import { runMigrationsInTurn } from '../database/migrations-in-turn';
import { runCommand } from './run-command';
import {
  PasswordResetMailQueue,
  type DeadMailRetry,
  type MailQueueStatus,
  type RetrySkipReason,
} from '../../index';

const USAGE = `Usage:
  npm run mail -- status [--json]
  npm run mail -- retry-dead [--id N] [--json]
  npm run mail -- purge-dead --older-than 7d [--json]`;

class UsageError extends Error {
  constructor() {
    super(USAGE);
  }
}

function describe(status: MailQueueStatus): string {
  const age = (seconds: number | null) =>
    seconds === null ? '-' : `${seconds} s`;
  const header = [
    'kind',
    'pending',
    'sending',
    'sent (1 h)',
    'unconfirmed (1 h)',
    'dead',
    'oldest pending',
  ];
  const rows = status.kinds.map((kind) =>
    [
      kind.kind,
      kind.pending,
      kind.sending,
      kind.sentLastHour,
      kind.unconfirmedLastHour,
      kind.dead,
      age(kind.oldestPendingAgeSeconds),
    ].map(String),
  );
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column].length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column]))
      .join('  ')
      .trimEnd();
  return [
    `requests waiting: ${status.requestsWaiting} (oldest ${age(status.oldestRequestAgeSeconds)})`,
    line(header),
    ...rows.map(line),
  ].join('\n');
}

const SKIPPED_BECAUSE: Record<RetrySkipReason, string> = {
  superseded: 'a newer reset mail was queued for the user',
  'password-changed': 'the password was changed after it was asked for',
  'account-limit':
    'the account has had the reset mails the per-account limit allows',
};

function describeRetry(retry: DeadMailRetry): string {
  const skipped = retry.skipped.map(
    (mail) =>
      `mail ${mail.id} (${mail.kind}) not queued again: ${SKIPPED_BECAUSE[mail.reason]}`,
  );
  return [`${retry.retried} dead mail(s) queued again`, ...skipped].join('\n');
}

function olderThanMs(value: string | undefined): number {
  const parsed = value === undefined ? NaN : ms(value as StringValue);
  if (!Number.isFinite(parsed) || parsed < 0) throw new UsageError();
  return parsed;
}

function mailId(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError();
  return Number(value);
}

/**
 * Shows and mends the mail queue on DATABASE_URL, while servers run. It first
 * runs the standalone server's migrations in turn, as the server does, so it
 * also answers on a database no server has started on yet; a host application
 * uses PasswordResetMailQueue instead.
 */
async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      id: { type: 'string' },
      'older-than': { type: 'string' },
    },
  });
  const print = (json: unknown, text: string) =>
    console.log(values.json ? JSON.stringify(json) : text);
  const command = positionals[0];
  if (
    !['status', 'retry-dead', 'purge-dead'].includes(command) ||
    positionals.length > 1
  )
    throw new UsageError();
  const id = mailId(values.id);
  const olderThan =
    command === 'purge-dead' ? olderThanMs(values['older-than']) : undefined;
  const dataSource = await runMigrationsInTurn(
    await new DataSource({
      ...databaseOptions(process.env.DATABASE_URL),
      logging: false,
    }).initialize(),
  );
  // The standalone server's per-account limit is the module's default, which the queue takes.
  const queue = new PasswordResetMailQueue(dataSource);
  try {
    if (command === 'status') {
      const status = await queue.status();
      print(status, describe(status));
      return 0;
    }
    if (command === 'retry-dead') {
      const retry = await queue.retryDead(id);
      print(retry, describeRetry(retry));
      return id !== undefined && retry.retried === 0 ? 1 : 0;
    }
    const purged = await queue.purgeDead(olderThan!);
    print({ purged }, `${purged} dead mail(s) deleted`);
    return 0;
  } finally {
    await dataSource.destroy();
  }
}

runCommand(main);
