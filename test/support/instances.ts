import { DataSource } from 'typeorm';
import { databaseOptions } from '../../src/standalone/database/database-options';
import { User } from '../../src/standalone/users/user.entity';
import { ServerProcess } from './server-process';
import { ReceivedMail, SmtpSink } from './smtp-sink';

/** Instances of the built standalone server on one database and one SMTP server, as behind a load balancer. */
export class Instances {
  readonly servers: ServerProcess[] = [];

  constructor(readonly env: Record<string, string>) {}

  /** Starts `count` more instances. The very first starts alone: it runs the migrations, which the others then find done. */
  async start(count: number): Promise<ServerProcess[]> {
    const started: ServerProcess[] = [];
    for (let index = 0; index < count; index++)
      started.push(await ServerProcess.create(this.env));
    const [first, ...rest] =
      this.servers.length === 0 ? started : [undefined, ...started];
    await first?.start();
    await Promise.all(rest.map((server) => server!.start()));
    this.servers.push(...started);
    return started;
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.servers.map((server) => server.stop()));
  }

  /** Users straight into the shared table, with a password hash nobody can log in with: these tests never log in. */
  async addUsers(users: { username: string; email: string }[]): Promise<void> {
    const dataSource = await this.dataSource();
    try {
      await dataSource.getRepository(User).insert(
        users.map((user) => ({
          ...user,
          passwordHash: 'not a hash',
          createdAt: Date.now(),
        })),
      );
    } finally {
      await dataSource.destroy();
    }
  }

  /** A connection of the test's own to the instances' database, for looking at what they left there. */
  dataSource(): Promise<DataSource> {
    return new DataSource({
      ...databaseOptions(this.env.DATABASE_URL),
      logging: false,
    }).initialize();
  }
}

/** Mails to the address, one per Message-ID: a mail sent twice (the at-least-once case) counts once. */
export function distinctMailsTo(
  smtp: SmtpSink,
  address: string,
): ReceivedMail[] {
  return [
    ...new Map(
      smtp.mailsTo(address).map((mail) => [mail.parsed.messageId, mail]),
    ).values(),
  ];
}
