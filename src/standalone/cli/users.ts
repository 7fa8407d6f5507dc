import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { DataSource } from 'typeorm';
import { databaseOptions } from '../database/database-options';
import { runMigrationsInTurn } from '../database/migrations-in-turn';
import { runCommand } from './run-command';
import { User } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import { PasswordResetError, PasswordResetMailQueue } from '../../index';

const USAGE = `Usage:
  npm run users -- add --username U --email E --password P
  npm run users -- add --username U --email E --invite   (no usable password; mails an invitation to set one)
  npm run users -- send-link --username U [--invite]   (mails a reset link, or an invitation)
  npm run users -- verify --username U --password P   (exit 0 when it matches, 1 when not)
  npm run users -- set-password --username U --password P   (also kills the user's outstanding reset links)
  npm run users -- list`;

/** Manages the standalone server's users table, on the same DATABASE_URL, while the server runs. */
async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      username: { type: 'string' },
      email: { type: 'string' },
      password: { type: 'string' },
      invite: { type: 'boolean', default: false },
    },
  });
  const dataSource = await runMigrationsInTurn(
    await new DataSource({
      ...databaseOptions(process.env.DATABASE_URL),
      logging: false,
    }).initialize(),
  );
  const users = new UsersService(dataSource.getRepository(User));
  // The server's worker sends what is queued here; the per-account limit is the module's default, as the server's.
  const queue = new PasswordResetMailQueue(dataSource);
  /** Queues the link; a refusal (the per-account limit) is told in its one sentence, and exit 1. */
  const sendLink = async (userId: string, username: string) => {
    const purpose = values.invite ? 'invite' : 'reset';
    try {
      await queue.sendPasswordLink(userId, { purpose });
    } catch (error) {
      if (!(error instanceof PasswordResetError)) throw error;
      console.error(
        `no ${purpose} link queued for ${username}: ${error.message}`,
      );
      return 1;
    }
    console.log(
      `${purpose === 'invite' ? 'invitation' : 'reset link'} queued for ${username}; the server mails it`,
    );
    return 0;
  };
  try {
    switch (positionals[0]) {
      case 'add': {
        const { username, email, password, invite } = values;
        // A password, or an invitation to set one: one of the two.
        if (
          !username ||
          !email ||
          (invite ? password !== undefined : !password)
        )
          throw new Error(USAGE);
        const user = await users.add(username, email, password ?? null);
        console.log(`added user ${user.id}: ${user.username} <${user.email}>`);
        return invite ? await sendLink(String(user.id), user.username) : 0;
      }
      case 'send-link': {
        if (!values.username || values.password !== undefined)
          throw new Error(USAGE);
        const userId = await users.idOf(values.username);
        if (userId === null) {
          console.error(`no user ${values.username}`);
          return 1;
        }
        return await sendLink(userId, values.username);
      }
      case 'verify': {
        if (!values.username || values.password === undefined)
          throw new Error(USAGE);
        const matches = await users.verify(values.username, values.password);
        console.log(matches ? 'password matches' : 'password does not match');
        return matches ? 0 : 1;
      }
      case 'set-password': {
        if (!values.username || values.password === undefined)
          throw new Error(USAGE);
        const found = await users.changePasswordOf(
          values.username,
          values.password,
        );
        console.log(
          found
            ? 'password changed; outstanding reset links revoked'
            : 'no such user',
        );
        return found ? 0 : 1;
      }
      case 'list':
        for (const user of await users.list())
          console.log(`${user.id}\t${user.username}\t${user.email}`);
        return 0;
      default:
        throw new Error(USAGE);
    }
  } finally {
    await dataSource.destroy();
  }
}

runCommand(main);
