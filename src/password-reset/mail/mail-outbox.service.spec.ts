import { createHmac } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { DataSource } from 'typeorm';
import { AccountLimitService } from '../account-limit/account-limit.service';
import { PasswordResetTranslator } from '../i18n/password-reset-translator';
import type { PasswordResetModuleOptions } from '../interfaces/password-reset-module-options.interface';
import type { PasswordResetUser } from '../interfaces/password-reset-user-store.interface';
import { PasswordResetMetrics } from '../metrics/password-reset-metrics';
import { ResetToken } from '../tokens/reset-token.entity';
import { ResetTokenService } from '../tokens/reset-token.service';
import { PASSWORD_RESET_DEFAULTS } from '../options/password-reset-defaults';
import { MailOutboxService } from './mail-outbox.service';
import { OutboxMail, PRIORITY_OF } from './outbox-mail.entity';
import type {
  PasswordResetMail,
  PasswordResetMailer,
} from './password-reset-mailer';
import { withoutListeners } from '../../../test/support/without-listeners';
import { inMemoryDatabase } from '../../../test/support/in-memory-database';
import { resolvedOptions } from '../../../test/support/module-options';

const SECRET = 'unit-test-secret-unit-test-secret-unit-test';
const RESET_URL = 'https://app.example.test/reset?from=mail';

/** The transport: keeps what it is handed, or fails or hangs as the test says. */
class Transport {
  readonly from = 'Password Reset <no-reply@mail.example.test>';
  readonly sent: PasswordResetMail[] = [];
  failure: unknown;
  duringSend: () => Promise<void> = async () => undefined;
  private held: Array<() => void> | undefined;

  async send(mail: PasswordResetMail): Promise<void> {
    await this.duringSend();
    if (this.held)
      await new Promise<void>((resolve) => this.held!.push(resolve));
    if (this.failure) throw this.failure;
    this.sent.push(mail);
  }

  hold(): void {
    this.held = [];
  }

  release(): void {
    const held = this.held ?? [];
    this.held = undefined;
    held.forEach((resolve) => resolve());
  }
}

describe('MailOutboxService', () => {
  let dataSource: DataSource;
  let now: number;
  let users: Map<string, PasswordResetUser>;
  let transport: Transport;
  let tokens: ResetTokenService;
  let metrics: PasswordResetMetrics;
  let warnings: jest.SpyInstance;
  let errors: jest.SpyInstance;
  let findUser: (id: string) => Promise<PasswordResetUser | null>;

  beforeEach(async () => {
    dataSource = await inMemoryDatabase();
    now = Date.UTC(2026, 10, 27, 12);
    users = new Map([
      ['1', { id: '1', username: 'margaret', email: 'margaret@example.com' }],
      ['2', { id: '2', email: 'grace@example.com', locale: 'de' }],
    ]);
    findUser = async (id) => users.get(id) ?? null;
    transport = new Transport();
    tokens = new ResetTokenService(
      dataSource.getRepository(ResetToken),
      new JwtService({ secret: SECRET }),
      { now: () => now },
      resolvedOptions(),
    );
    metrics = PasswordResetMetrics.off();
    jest.spyOn(metrics, 'mailAttempted');
    warnings = jest
      .spyOn(Logger.prototype, 'warn')
      .mockImplementation(() => undefined);
    errors = jest
      .spyOn(Logger.prototype, 'error')
      .mockImplementation(() => undefined);
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    await dataSource.destroy();
  });

  const outboxWith = (options: Partial<PasswordResetModuleOptions> = {}) => {
    const settings = resolvedOptions({
      jwtSecret: SECRET,
      resetUrl: RESET_URL,
      ...options,
    });
    const clock = { now: () => now };
    return new MailOutboxService(
      dataSource.getRepository(OutboxMail),
      dataSource,
      settings,
      { findById: (id: string) => findUser(id) } as never,
      clock,
      transport as unknown as PasswordResetMailer,
      tokens,
      new PasswordResetTranslator(settings),
      metrics,
      new AccountLimitService(dataSource, clock, settings),
      withoutListeners(clock),
    );
  };
  const queue = async (
    outbox: MailOutboxService,
    kind: OutboxMail['kind'],
    userIds: string[],
  ) => outbox.enqueue(dataSource.manager, kind, userIds);
  const deliver = async (outbox: MailOutboxService) => {
    const started = await outbox.deliverDue();
    await outbox.deliveriesEnded();
    return started;
  };
  const mails = () =>
    dataSource.getRepository(OutboxMail).find({ order: { id: 'ASC' } });
  const linkIn = (mail: PasswordResetMail) =>
    new URL(mail.context.resetUrl as string).searchParams.get('token')!;

  it('queues one pending mail per user given, due at once, and nothing for nobody', async () => {
    const outbox = outboxWith();
    await queue(outbox, 'reset-password', []);
    expect(await mails()).toEqual([]);
    await queue(outbox, 'reset-password', ['1', '1']);
    const mail = {
      kind: 'reset-password',
      priority: PRIORITY_OF['reset-password'],
      userId: '1',
      createdAt: now,
      status: 'pending',
      attempts: 0,
      nextAttemptAt: now,
      sentAt: null,
      lastError: null,
    };
    expect(await mails()).toEqual([
      { id: expect.any(Number), ...mail },
      { id: expect.any(Number), ...mail },
    ]);
  });

  it('sends a reset mail with a working link to resetUrl, one Message-ID per queued mail, and records it sent', async () => {
    const outbox = outboxWith({ mail: { productName: 'Acme' } });
    await queue(outbox, 'reset-password', ['1']);
    expect(await deliver(outbox)).toBe(1);
    const [sent] = transport.sent;
    const [row] = await mails();
    const messageId = createHmac('sha256', SECRET)
      .update(`outbox-mail:${row.id}`)
      .digest('base64url');
    expect(sent).toMatchObject({
      to: 'margaret@example.com',
      messageId: `<${messageId}@mail.example.test>`,
      subject: 'Reset your password for Acme',
      template: 'reset-password',
      language: 'en',
      context: { name: 'margaret', productName: 'Acme', minutes: 30 },
    });
    const url = new URL(sent.context.resetUrl as string);
    expect(`${url.origin}${url.pathname}`).toBe(
      'https://app.example.test/reset',
    );
    expect(url.searchParams.get('from')).toBe('mail');
    expect(await tokens.find(linkIn(sent))).not.toBeNull();
    expect(row).toMatchObject({ status: 'sent', sentAt: now, attempts: 1 });
    expect(metrics.mailAttempted).toHaveBeenCalledWith(
      'reset-password',
      'sent',
      now,
      now,
    );
  });

  it("writes in the user's language and names a user without a username by address", async () => {
    const outbox = outboxWith();
    await queue(outbox, 'password-changed', ['2']);
    await deliver(outbox);
    expect(transport.sent[0]).toMatchObject({
      language: 'de',
      template: 'password-changed',
      context: { name: 'grace@example.com' },
    });
    expect(transport.sent[0].subject).toContain('Passwort');
  });

  it('tells of a changed password with the time of the change', async () => {
    const outbox = outboxWith();
    await queue(outbox, 'password-changed', ['1']);
    await deliver(outbox);
    expect(transport.sent[0]).toMatchObject({
      subject: 'Your password for your account was changed',
      template: 'password-changed',
      context: {
        name: 'margaret',
        productName: 'your account',
        changedAt: 'November 27, 2026 at 12:00 PM',
      },
    });
    expect(await dataSource.getRepository(ResetToken).count()).toBe(0);
  });

  it('takes the Message-ID domain from the sender, or localhost', async () => {
    Object.assign(transport, { from: 'no-reply' });
    const outbox = outboxWith();
    await queue(outbox, 'password-changed', ['1']);
    await deliver(outbox);
    expect(transport.sent[0].messageId).toMatch(/^<[\w-]+@localhost>$/);
  });

  it("uses the host's own link when it has one, and refuses one that is not http(s)", async () => {
    const outbox = outboxWith({
      resetUrl: undefined,
      resetLink: (token, user) =>
        `https://spa.example.test/#/reset/${user.id}/${token}`,
    });
    await queue(outbox, 'reset-password', ['1']);
    await deliver(outbox);
    expect(transport.sent[0].context.resetUrl).toMatch(
      /^https:\/\/spa\.example\.test\/#\/reset\/1\/ey/,
    );

    const refused = outboxWith({
      resetUrl: undefined,
      resetLink: () => 'javascript:alert(1)',
    });
    await queue(refused, 'reset-password', ['1']);
    now += 1;
    await deliver(refused);
    expect((await mails())[1]).toMatchObject({
      status: 'pending',
      lastError: 'resetLink returned no http(s) URL',
    });
  });

  it('retries a failed attempt later, backing off exponentially up to the maximum, with a new link each time', async () => {
    const outbox = outboxWith({
      delivery: { retryBaseMs: 1000, retryMaxMs: 3000 },
    });
    await queue(outbox, 'reset-password', ['1']);
    transport.failure = Object.assign(new Error('Connection refused'), {
      code: 'ESOCKET',
      syscall: 'connect',
    });
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 4; attempt++) {
      const before = now;
      expect(await deliver(outbox)).toBe(1);
      const [row] = await mails();
      expect(row).toMatchObject({
        status: 'pending',
        attempts: attempt,
        lastError: 'Connection refused',
      });
      delays.push(row.nextAttemptAt - before);
      now = row.nextAttemptAt - 1;
      expect(await deliver(outbox)).toBe(0);
      now += 1;
    }
    expect(delays).toEqual([1000, 2000, 3000, 3000]);
    const links = await dataSource.getRepository(ResetToken).find();
    expect(links).toHaveLength(4);
    expect(links.every((token) => token.revokedAt !== null)).toBe(true);
    expect(metrics.mailAttempted).toHaveBeenCalledWith(
      'reset-password',
      'failed',
      expect.any(Number),
      expect.any(Number),
    );
  });

  it('keeps at most 500 characters of an error, whatever became of the mail', async () => {
    const long = 'x'.repeat(600);
    const retried = outboxWith();
    await queue(retried, 'password-changed', ['1']);
    transport.failure = new Error(long);
    await deliver(retried);
    const buried = outboxWith({ delivery: { maxAttempts: 1 } });
    await queue(buried, 'password-changed', ['1']);
    await deliver(buried);
    const unconfirmed = outboxWith();
    await queue(unconfirmed, 'reset-password', ['1']);
    transport.failure = Object.assign(new Error(long), {
      timeoutType: 'SOCKET_TIMEOUT',
    });
    await deliver(unconfirmed);
    expect(
      (await mails()).map((mail) => [mail.status, mail.lastError]),
    ).toEqual([
      ['pending', 'x'.repeat(500)],
      ['dead', 'x'.repeat(500)],
      ['unconfirmed', 'x'.repeat(500)],
    ]);
  });

  it('buries a mail after the last attempt, with its error, and logs it', async () => {
    const outbox = outboxWith({ delivery: { maxAttempts: 2, retryBaseMs: 1 } });
    await queue(outbox, 'password-changed', ['1']);
    transport.failure = 'refused';
    await deliver(outbox);
    now += 1;
    await deliver(outbox);
    expect((await mails())[0]).toMatchObject({
      status: 'dead',
      attempts: 2,
      lastError: 'refused',
    });
    expect(errors).toHaveBeenCalledWith(
      expect.stringContaining('is dead after 2 attempts: refused'),
    );
    expect(metrics.mailAttempted).toHaveBeenCalledWith(
      'password-changed',
      'dead',
      now - 1,
      now,
    );
    now += 60_000;
    expect(await deliver(outbox)).toBe(0);
  });

  it('buries the mail of a user who no longer exists, without an attempt', async () => {
    const outbox = outboxWith();
    await queue(outbox, 'reset-password', ['9']);
    await deliver(outbox);
    expect((await mails())[0]).toMatchObject({
      status: 'dead',
      attempts: 0,
      lastError: 'the user no longer exists',
    });
    expect(transport.sent).toEqual([]);
  });

  it('sends no second link after an attempt that may have delivered the first: the mail ends unconfirmed, its link still works', async () => {
    const outbox = outboxWith();
    await queue(outbox, 'reset-password', ['1']);
    transport.failure = Object.assign(new Error('Connection closed'), {
      code: 'ECONNECTION',
    });
    let link: string | undefined;
    const issue = tokens.issue.bind(tokens);
    jest.spyOn(tokens, 'issue').mockImplementation(async (userId) => {
      const issued = await issue(userId);
      link = issued.link;
      return issued;
    });
    await deliver(outbox);
    expect((await mails())[0]).toMatchObject({
      status: 'unconfirmed',
      sentAt: now,
      attempts: 1,
      lastError: 'Connection closed',
    });
    expect(await tokens.find(link!)).not.toBeNull();
    expect(metrics.mailAttempted).toHaveBeenCalledWith(
      'reset-password',
      'unconfirmed',
      now,
      now,
    );
    now += 60 * 60 * 1000;
    expect(await deliver(outbox)).toBe(0);
  });

  it('gives up an attempt at its deadline: it may have delivered', async () => {
    const outbox = outboxWith({
      delivery: { attemptTimeoutMs: 20, leaseMs: 1000 },
    });
    await queue(outbox, 'reset-password', ['1']);
    transport.hold();
    await deliver(outbox);
    transport.release();
    expect((await mails())[0]).toMatchObject({
      status: 'unconfirmed',
      lastError: 'no answer from the mail transport within 20 ms',
    });
  });

  it('has at most five deliveries under way, and starts more as they end', async () => {
    const outbox = outboxWith();
    await queue(outbox, 'password-changed', Array(7).fill('1'));
    transport.hold();
    let ended = 0;
    outbox.onDeliveryEnded(() => (ended += 1));
    expect(await outbox.deliverDue()).toBe(5);
    expect(await outbox.deliverDue()).toBe(0);
    transport.release();
    await outbox.deliveriesEnded();
    expect(ended).toBe(5);
    expect(await deliver(outbox)).toBe(2);
    expect(transport.sent).toHaveLength(7);
  });

  it("sends a user's reset mails one after another, and others' beside them", async () => {
    const outbox = outboxWith();
    // The notice first: a reset mail queued before a notice of its user is asked for before the change, and dropped.
    await queue(outbox, 'password-changed', ['1']);
    await queue(outbox, 'reset-password', ['1', '1', '2']);
    transport.hold();
    expect(await outbox.deliverDue()).toBe(3);
    expect(await outbox.deliverDue()).toBe(0);
    transport.release();
    await outbox.deliveriesEnded();
    expect(await deliver(outbox)).toBe(1);
    const toMargaret = transport.sent.filter(
      (mail) =>
        mail.template === 'reset-password' &&
        mail.to === 'margaret@example.com',
    );
    expect(toMargaret).toHaveLength(2);
    expect(await tokens.find(linkIn(toMargaret[0]))).toBeNull();
    expect(await tokens.find(linkIn(toMargaret[1]))).not.toBeNull();
  });

  it('takes over a mail whose lease lapsed, and leaves one whose lease runs', async () => {
    const outbox = outboxWith();
    await queue(outbox, 'reset-password', ['1']);
    const [row] = await mails();
    await dataSource
      .getRepository(OutboxMail)
      .update(row.id, { status: 'sending', nextAttemptAt: now + 1 });
    expect(await deliver(outbox)).toBe(0);
    now += 1;
    expect(await deliver(outbox)).toBe(1);
    expect((await mails())[0]).toMatchObject({ status: 'sent' });
  });

  it('makes no link when another worker took the mail while the user was looked up', async () => {
    const outbox = outboxWith();
    await queue(outbox, 'reset-password', ['1']);
    findUser = async (id) => {
      await dataSource
        .getRepository(OutboxMail)
        .update({ userId: id }, { nextAttemptAt: now + 5 });
      return users.get(id)!;
    };
    await deliver(outbox);
    expect(transport.sent).toEqual([]);
    expect(await dataSource.getRepository(ResetToken).count()).toBe(0);
    expect(warnings).toHaveBeenCalledWith(
      expect.stringContaining('the lease lapsed before the attempt'),
    );
  });

  it('renews the lease before the attempt, and leaves the outcome to another worker that took the mail during it', async () => {
    const outbox = outboxWith();
    await queue(outbox, 'password-changed', ['1']);
    findUser = async (id) => {
      now += 10;
      return users.get(id)!;
    };
    transport.duringSend = async () => {
      const [row] = await mails();
      expect(row.nextAttemptAt).toBe(
        now + PASSWORD_RESET_DEFAULTS.delivery.leaseMs,
      );
      await dataSource
        .getRepository(OutboxMail)
        .update(row.id, { nextAttemptAt: row.nextAttemptAt + 1 });
    };
    await deliver(outbox);
    expect(transport.sent).toHaveLength(1);
    expect((await mails())[0]).toMatchObject({
      status: 'sending',
      attempts: 0,
    });
    expect(warnings).toHaveBeenCalledWith(
      expect.stringContaining('the lease lapsed during the attempt'),
    );
  });

  it('forgets sent and unconfirmed mails queued before a time, and keeps dead and waiting ones', async () => {
    const outbox = outboxWith();
    const at = (createdAt: number, status: OutboxMail['status']) =>
      dataSource.manager.insert(OutboxMail, {
        kind: 'password-changed',
        userId: '1',
        createdAt,
        status,
        attempts: 1,
        nextAttemptAt: createdAt,
        sentAt: null,
        lastError: null,
      });
    await at(now - 2, 'sent');
    await at(now - 2, 'unconfirmed');
    await at(now - 2, 'dead');
    await at(now - 2, 'pending');
    await at(now, 'sent');
    await outbox.prune(now);
    expect(
      (await mails()).map((mail) => [mail.status, mail.createdAt]),
    ).toEqual([
      ['dead', now - 2],
      ['pending', now - 2],
      ['sent', now],
    ]);
  });
});
