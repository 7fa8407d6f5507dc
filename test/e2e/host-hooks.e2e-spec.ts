import { ForbiddenException, Injectable } from '@nestjs/common';
import { EventEmitterModule, OnEvent } from '@nestjs/event-emitter';
import { InjectRepository, TypeOrmModule } from '@nestjs/typeorm';
import {
  Column,
  Entity,
  MigrationInterface,
  PrimaryColumn,
  PrimaryGeneratedColumn,
  QueryRunner,
  Repository,
  Table,
} from 'typeorm';
import {
  PasswordChangedEvent,
  PasswordResetEvents,
  PasswordResetMailFailedEvent,
  PasswordResetMailSentEvent,
  PasswordResetRefusedEvent,
  PasswordResetRequestedEvent,
  PasswordResetUser,
  PasswordResetUserStore,
} from '../../src';
import { eventually } from '../support/eventually';
import { CapturingLogger, startTestServer } from '../support/harness';
import {
  MountedHost,
  mountedHost,
  startHostContext,
} from '../support/host-app';
import { testPlatforms } from '../support/platforms';
import { SmtpSink, tokenFrom } from '../support/smtp-sink';

const JWT_SECRET = 'host-secret-host-secret-host-secret-host';
const OLD_PASSWORD = 'old password of zoe';
const NEW_PASSWORD = 'quiet lantern orbit 1987 meadow';
const WEAK_PASSWORD = 'password123';
const NO_SESSIONS_WARNING =
  /Nothing ends a user's sessions after a password reset: give the user store an endSessions\(userId\), or listen for password-reset\.password-changed/;

/** The host's sessions: one row per signed-in browser. */
@Entity('host_sessions')
class HostSession {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  id: string;

  @Column({ name: 'user_id', type: 'varchar', length: 64 })
  userId: string;
}

/** The host's own audit table, as the example in docs/events.md keeps it. */
@Entity('host_audit')
class HostAuditEntry {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ type: 'varchar', length: 64 })
  event: string;

  @Column({ name: 'user_id', type: 'varchar', length: 64, nullable: true })
  userId: string | null;

  @Column({ type: 'text' })
  payload: string;
}

class CreateHostTables1700000000000 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'host_sessions',
        columns: [
          { name: 'id', type: 'varchar', length: '64', isPrimary: true },
          { name: 'user_id', type: 'varchar', length: '64' },
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'host_audit',
        columns: [
          {
            name: 'id',
            type: 'integer',
            isPrimary: true,
            isGenerated: true,
            generationStrategy: 'increment',
          },
          { name: 'event', type: 'varchar', length: '64' },
          { name: 'user_id', type: 'varchar', length: '64', isNullable: true },
          { name: 'payload', type: 'text' },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('host_audit');
    await queryRunner.dropTable('host_sessions');
  }
}

/** The host's users (in memory) and its sessions (a table), ended by the user store itself. */
@Injectable()
class HostAccounts implements PasswordResetUserStore {
  readonly passwords = new Map<string, string>([
    ['acct-zoe', OLD_PASSWORD],
    ['acct-bounce', OLD_PASSWORD],
    ['acct-max', OLD_PASSWORD],
    ['acct-ada', OLD_PASSWORD],
  ]);
  private readonly addresses = new Map<string, string>([
    ['acct-zoe', 'zoe@host.example'],
    ['acct-bounce', 'bounce@host.example'],
    ['acct-max', 'max@host.example'],
    ['acct-ada', 'ada@host.example'],
  ]);
  /** The host's session store failing at the worst moment. */
  failEndSessions = false;
  /** The host's own code refusing a look-up with one of Nest's HTTP errors. */
  forbidLookups = false;

  constructor(
    @InjectRepository(HostSession) readonly sessions: Repository<HostSession>,
  ) {}

  async findByIdentifier(
    identifier: string,
  ): Promise<PasswordResetUser | null> {
    for (const [id, email] of this.addresses)
      if (email === identifier) return { id, email };
    return null;
  }

  async findById(id: string): Promise<PasswordResetUser | null> {
    if (this.forbidLookups) throw new ForbiddenException('lookups are closed');
    const email = this.addresses.get(id);
    return email ? { id, email } : null;
  }

  async setPassword(id: string, newPassword: string): Promise<void> {
    this.passwords.set(id, newPassword);
  }

  async endSessions(id: string): Promise<void> {
    if (this.failEndSessions) throw new Error('session store unreachable');
    await this.sessions.delete({ userId: id });
  }
}

/** Writes each audit event to the host's table, as docs/events.md shows. */
@Injectable()
class PasswordResetAudit {
  /** Listeners that misbehave: they must change no answer. */
  misbehave: 'no' | 'hang' | 'throw' = 'no';

  constructor(
    @InjectRepository(HostAuditEntry)
    readonly entries: Repository<HostAuditEntry>,
  ) {}

  @OnEvent(PasswordResetEvents.requested)
  requested(event: PasswordResetRequestedEvent) {
    return this.write(PasswordResetEvents.requested, event);
  }

  @OnEvent(PasswordResetEvents.mailSent)
  mailSent(event: PasswordResetMailSentEvent) {
    return this.write(PasswordResetEvents.mailSent, event);
  }

  @OnEvent(PasswordResetEvents.mailFailed)
  mailFailed(event: PasswordResetMailFailedEvent) {
    return this.write(PasswordResetEvents.mailFailed, event);
  }

  @OnEvent(PasswordResetEvents.refused, { suppressErrors: false })
  refused(event: PasswordResetRefusedEvent) {
    if (this.misbehave === 'hang') return new Promise(() => undefined);
    if (this.misbehave === 'throw') throw new Error('audit table locked');
    return this.write(PasswordResetEvents.refused, event);
  }

  @OnEvent(PasswordResetEvents.passwordChanged)
  passwordChanged(event: PasswordChangedEvent) {
    return this.write(PasswordResetEvents.passwordChanged, event);
  }

  private async write(
    event: string,
    payload: { userId?: string },
  ): Promise<void> {
    await this.entries.insert({
      event,
      userId: payload.userId ?? null,
      payload: JSON.stringify(payload),
    });
  }
}

describe.each(testPlatforms())(
  'a host that ends sessions in its user store and keeps an audit table (%s)',
  (platform) => {
    let host: MountedHost;
    let smtp: SmtpSink;
    let logs: CapturingLogger;
    let accounts: HostAccounts;
    let audit: PasswordResetAudit;
    const post = (path: string) => host.post(path);

    beforeAll(async () => {
      const hostTables = TypeOrmModule.forFeature([
        HostSession,
        HostAuditEntry,
      ]);
      host = await mountedHost({
        platform,
        userStore: HostAccounts,
        userStoreImports: [hostTables],
        database: {
          entities: [HostSession, HostAuditEntry],
          migrations: [CreateHostTables1700000000000],
        },
        imports: [EventEmitterModule.forRoot(), hostTables],
        providers: [PasswordResetAudit],
        options: {
          jwtSecret: JWT_SECRET,
          events: { failRequestOnListenerError: true },
          delivery: { pollIntervalMs: 25, retryBaseMs: 20, maxAttempts: 2 },
        },
      });
      ({ smtp, logs } = host);
      smtp.refuseFor.add('bounce@host.example');
      accounts = host.app.get(HostAccounts);
      audit = host.app.get(PasswordResetAudit);
    });
    afterAll(() => host.close());

    async function resetToken(email = 'zoe@host.example'): Promise<string> {
      const resetMails = () =>
        smtp
          .mailsTo(email)
          .filter((mail) => mail.parsed.subject?.startsWith('Reset'));
      const before = resetMails().length;
      await post('/auth/lostPassword')
        .send({ username: email })
        .expect(200, {});
      await eventually(
        async () => expect(resetMails().length).toBeGreaterThan(before),
        10_000,
      );
      return tokenFrom(resetMails()[before]);
    }

    /** Waits until every request is processed and every mail delivered, and their events written, then empties the audit table. */
    async function clearAuditWhenSettled(): Promise<void> {
      await host.settle();
      await new Promise((resolve) => setTimeout(resolve, 100));
      await audit.entries.clear();
    }

    const sessionsOf = async (userId: string) =>
      (await accounts.sessions.findBy({ userId }))
        .map((session) => session.id)
        .sort();
    const auditRows = async (event: string) =>
      audit.entries.find({ where: { event }, order: { id: 'ASC' } });

    it("ends the user's sessions, the rows of its sessions table, before it answers; other users' stay", async () => {
      await accounts.sessions.insert([
        { id: 'zoe-laptop', userId: 'acct-zoe' },
        { id: 'zoe-phone', userId: 'acct-zoe' },
        { id: 'bounce-laptop', userId: 'acct-bounce' },
      ]);
      const token = await resetToken();
      await post('/auth/resetPassword')
        .send({ token, password: NEW_PASSWORD })
        .expect(200, {});
      expect(accounts.passwords.get('acct-zoe')).toBe(NEW_PASSWORD);
      expect(await sessionsOf('acct-zoe')).toEqual([]);
      expect(await sessionsOf('acct-bounce')).toEqual(['bounce-laptop']);
    });

    it('does not warn at start: its user store ends sessions', () => {
      expect(logs.lines.join('\n')).not.toMatch(NO_SESSIONS_WARNING);
    });

    it('logs a failing endSessions with the user, and answers 500 sessions_not_ended as asked; the password is changed all the same', async () => {
      await accounts.sessions.insert({ id: 'zoe-tablet', userId: 'acct-zoe' });
      const token = await resetToken();
      accounts.failEndSessions = true;
      try {
        const failed = await post('/auth/resetPassword')
          .send({ token, password: 'second quiet lantern orbit 2024' })
          .expect(500);
        expect(failed.body).toMatchObject({
          statusCode: 500,
          code: 'sessions_not_ended',
          message: expect.stringMatching(/^your password was changed/),
        });
      } finally {
        accounts.failEndSessions = false;
      }
      expect(accounts.passwords.get('acct-zoe')).toBe(
        'second quiet lantern orbit 2024',
      );
      const failures = logs.lines.filter(
        (line) =>
          line.startsWith('error') &&
          line.includes(
            "The user store's endSessions failed for user acct-zoe",
          ),
      );
      expect(failures).toEqual([
        expect.stringContaining('session store unreachable'),
      ]);
      await post('/auth/resetPassword')
        .send({ token, password: 'third quiet lantern orbit 2025' })
        .expect(400);
    });

    it("answers an HttpException from the host's own store as a plain 500 internal_error, and logs it", async () => {
      const token = await resetToken('ada@host.example');
      accounts.forbidLookups = true;
      try {
        const failed = await post('/auth/resetPassword/check')
          .send({ token })
          .expect(500);
        expect(failed.body).toEqual({
          statusCode: 500,
          error: 'Internal Server Error',
          message: expect.any(String),
          code: 'internal_error',
        });
      } finally {
        accounts.forbidLookups = false;
      }
      expect(
        logs.lines.filter(
          (line) =>
            line.startsWith('error') &&
            line.includes('Unexpected error: lookups are closed'),
        ),
      ).toHaveLength(1);
    });

    it('writes each audit event to the host table: requested (known users, within the account limit), mail-sent, mail-failed, refused, password-changed via link', async () => {
      await clearAuditWhenSettled();
      const token = await resetToken();
      await post('/auth/lostPassword')
        .send({ username: 'nobody@host.example' })
        .expect(200, {});
      await post('/auth/resetPassword')
        .send({ token: 'not-a-token', password: NEW_PASSWORD })
        .expect(400);
      await post('/auth/resetPassword')
        .send({ token, password: WEAK_PASSWORD })
        .expect(400);
      await post('/auth/resetPassword')
        .send({ token, password: 'fourth quiet lantern orbit 2026' })
        .expect(200, {});
      await post('/auth/lostPassword')
        .send({ username: 'bounce@host.example' })
        .expect(200, {});

      await eventually(async () => {
        expect(
          (await auditRows(PasswordResetEvents.mailSent)).map(
            (row) => JSON.parse(row.payload).kind,
          ),
        ).toEqual(['reset-password', 'password-changed']);
        expect(await auditRows(PasswordResetEvents.mailFailed)).toHaveLength(1);
      }, 15_000);
      const payloads = async (event: string) =>
        (await auditRows(event)).map((row) => JSON.parse(row.payload));
      expect(await payloads(PasswordResetEvents.requested)).toEqual([
        {
          userId: 'acct-zoe',
          requestedAt: expect.any(String),
          purpose: 'reset',
          requestedBy: 'user',
        },
        {
          userId: 'acct-bounce',
          requestedAt: expect.any(String),
          purpose: 'reset',
          requestedBy: 'user',
        },
      ]);
      expect(await payloads(PasswordResetEvents.mailSent)).toEqual([
        {
          mailId: expect.any(Number),
          userId: 'acct-zoe',
          kind: 'reset-password',
          attempts: 1,
          sentAt: expect.any(String),
        },
        {
          mailId: expect.any(Number),
          userId: 'acct-zoe',
          kind: 'password-changed',
          attempts: 1,
          sentAt: expect.any(String),
        },
      ]);
      expect(await payloads(PasswordResetEvents.mailFailed)).toEqual([
        {
          mailId: expect.any(Number),
          userId: 'acct-bounce',
          kind: 'reset-password',
          outcome: 'dead',
          attempts: 2,
          failedAt: expect.any(String),
        },
      ]);
      expect(await payloads(PasswordResetEvents.refused)).toEqual([
        { reason: 'invalid_token', refusedAt: expect.any(String) },
        {
          reason: 'weak_password',
          userId: 'acct-zoe',
          refusedAt: expect.any(String),
        },
      ]);
      expect(await payloads(PasswordResetEvents.passwordChanged)).toEqual([
        { userId: 'acct-zoe', changedAt: expect.any(String), via: 'link' },
      ]);

      // No token, password or hash in any payload.
      const rawToken = JSON.parse(
        Buffer.from(token.split('.')[1], 'base64url').toString('utf8'),
      ).tok;
      const tokenHashes = (
        await host.dataSource.query(
          'SELECT token_hash FROM password_reset_tokens',
        )
      ).map((row: { token_hash: string }) => row.token_hash);
      const everything = (await audit.entries.find())
        .map((row) => row.payload)
        .join('\n');
      for (const secret of [
        token,
        rawToken,
        NEW_PASSWORD,
        'fourth quiet lantern orbit 2026',
        OLD_PASSWORD,
        WEAK_PASSWORD,
        JWT_SECRET,
        ...tokenHashes,
      ]) {
        expect(everything).not.toContain(secret);
      }
    });

    it('announces only the requests the per-account limit lets through (3 an hour)', async () => {
      await clearAuditWhenSettled();
      for (let i = 0; i < 4; i++)
        await post('/auth/lostPassword')
          .send({ username: 'max@host.example' })
          .expect(200, {});
      await eventually(
        async () =>
          expect(await auditRows(PasswordResetEvents.mailSent)).toHaveLength(3),
        15_000,
      );
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(smtp.mailsTo('max@host.example')).toHaveLength(3);
      expect(
        (await auditRows(PasswordResetEvents.requested)).map(
          (row) => row.userId,
        ),
      ).toEqual(['acct-max', 'acct-max', 'acct-max']);
    });

    it('lets a listener that hangs or throws change no answer; the failure is logged', async () => {
      audit.misbehave = 'hang';
      try {
        await post('/auth/resetPassword')
          .send({ token: 'not-a-token', password: NEW_PASSWORD })
          .expect(400);
        audit.misbehave = 'throw';
        await post('/auth/resetPassword')
          .send({ token: 'not-a-token', password: NEW_PASSWORD })
          .expect(400);
      } finally {
        audit.misbehave = 'no';
      }
      await eventually(
        async () =>
          expect(logs.lines.join('\n')).toMatch(
            /A listener of password-reset\.refused failed: audit table locked/,
          ),
        5_000,
      );
    });
  },
);

/** A user store with the three methods every store has, and nothing that ends sessions. */
class PlainStore implements PasswordResetUserStore {
  async findByIdentifier(): Promise<PasswordResetUser | null> {
    return null;
  }
  async findById(): Promise<PasswordResetUser | null> {
    return null;
  }
  async setPassword(): Promise<void> {}
}

@Injectable()
class SessionsListener {
  @OnEvent(PasswordResetEvents.passwordChanged)
  signOutEverywhere(): void {}
}

describe('a host that nothing ends sessions for is warned at start', () => {
  /** Starts a host (no HTTP) and returns what it logged at start. */
  async function startLogs(
    userStore: PasswordResetUserStore,
    { emitter = false, listener = false } = {},
  ): Promise<string> {
    const logs = new CapturingLogger();
    const context = await startHostContext(
      { userStore, jwtSecret: JWT_SECRET },
      {
        imports: emitter ? [EventEmitterModule.forRoot()] : [],
        providers: listener ? [SessionsListener] : [],
        logger: logs,
      },
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    await context.close();
    return logs.lines.filter((line) => line.startsWith('warn')).join('\n');
  }

  it('naming both ways, when the store has no endSessions and nobody listens for password-changed', async () => {
    expect(await startLogs(new PlainStore())).toMatch(NO_SESSIONS_WARNING);
    expect(await startLogs(new PlainStore(), { emitter: true })).toMatch(
      NO_SESSIONS_WARNING,
    );
  });

  it('not when the store has endSessions, or a listener of password-changed is there', async () => {
    const ending = Object.assign(new PlainStore(), {
      endSessions: async () => undefined,
    });
    expect(await startLogs(ending)).not.toMatch(NO_SESSIONS_WARNING);
    expect(
      await startLogs(new PlainStore(), { emitter: true, listener: true }),
    ).not.toMatch(NO_SESSIONS_WARNING);
  });

  it('not for the standalone server, which signs nobody in', async () => {
    const server = await startTestServer('express', 'sqlite');
    await new Promise((resolve) => setTimeout(resolve, 50));
    await server.close();
    expect(server.logs.lines.join('\n')).not.toMatch(NO_SESSIONS_WARNING);
  });
});
