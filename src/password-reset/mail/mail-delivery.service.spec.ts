import { Logger } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { DataSource } from 'typeorm';
import { AccountLimitService } from '../account-limit/account-limit.service';
import { PasswordResetTranslator } from '../i18n/password-reset-translator';
import type { PasswordResetModuleOptions } from '../interfaces/password-reset-module-options.interface';
import type { PasswordResetUser } from '../interfaces/password-reset-user-store.interface';
import { PasswordResetMetrics } from '../metrics/password-reset-metrics';
import { PASSWORD_RESET_DEFAULTS } from '../options/password-reset-defaults';
import { PasswordResetTemplates } from '../rendering/password-reset-templates';
import { ResetToken } from '../tokens/reset-token.entity';
import { ResetTokenService } from '../tokens/reset-token.service';
import { SmtpAttemptFailed } from './delivery-outcome';
import { MailComposer } from './mail-composer';
import { MailDeliveryService } from './mail-delivery.service';
import { MailOutboxService } from './mail-outbox.service';
import { OutboxMail, OutboxMailKind } from './outbox-mail.entity';
import type {
  PasswordResetMail,
  PasswordResetMailer,
} from './password-reset-mailer';
import { inMemoryDatabase } from '../../../test/support/in-memory-database';
import { resolvedOptions } from '../../../test/support/module-options';
import { withoutListeners } from '../../../test/support/without-listeners';

/** The transport: keeps what it is handed, or fails or hangs as the test says. */
class Transport {
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

/** A failure of the module's SMTP pool before the server took the message (DATA not yet answered with 354). */
const refusedBeforeData = new SmtpAttemptFailed(
  new Error('Connection refused'),
  false,
);
/** A failure of the module's SMTP pool after the message started to go out. */
const droppedAfterData = new SmtpAttemptFailed(
  new Error('Connection closed'),
  true,
);

describe('MailDeliveryService', () => {
  let dataSource: DataSource;
  let now: number;
  let users: Map<string, PasswordResetUser>;
  let findUser: (id: string) => Promise<PasswordResetUser | null>;
  let transport: Transport;
  let tokens: ResetTokenService;
  let metrics: PasswordResetMetrics;
  let warnings: jest.SpyInstance;
  let errors: jest.SpyInstance;
  let outbox: MailOutboxService;
  const clock = { now: () => now };

  beforeEach(async () => {
    dataSource = await inMemoryDatabase();
    now = Date.UTC(2026, 10, 27, 12);
    users = new Map([
      ['1', { id: '1', username: 'margaret', email: 'margaret@example.com' }],
      ['2', { id: '2', email: 'grace@example.com' }],
    ]);
    findUser = async (id) => users.get(id) ?? null;
    transport = new Transport();
    metrics = PasswordResetMetrics.off();
    jest.spyOn(metrics, 'mailAttempted');
    warnings = jest
      .spyOn(Logger.prototype, 'warn')
      .mockImplementation(() => undefined);
    errors = jest
      .spyOn(Logger.prototype, 'error')
      .mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    await dataSource.destroy();
  });

  const deliveryWith = (given: Partial<PasswordResetModuleOptions> = {}) => {
    const options = resolvedOptions(given);
    tokens = new ResetTokenService(
      dataSource.getRepository(ResetToken),
      new JwtService({ secret: options.jwtSecret }),
      clock,
      options,
    );
    outbox = new MailOutboxService(
      dataSource.getRepository(OutboxMail),
      dataSource,
      clock,
      new AccountLimitService(dataSource, clock, options),
      options,
    );
    const translator = new PasswordResetTranslator(options);
    return new MailDeliveryService(
      outbox,
      new MailComposer(
        options,
        clock,
        translator,
        new PasswordResetTemplates(options, translator),
      ),
      transport as unknown as PasswordResetMailer,
      tokens,
      { findById: (id: string) => findUser(id) } as never,
      clock,
      metrics,
      withoutListeners(clock),
      options,
    );
  };
  const queue = (kind: OutboxMailKind, userIds: string[]) =>
    outbox.enqueue(
      dataSource.manager,
      kind,
      userIds.map((userId) => ({ userId })),
    );
  /** Starts what is due and waits until it has ended; how many it started. */
  const deliver = async (delivery: MailDeliveryService) => {
    const started = await delivery.deliverDue();
    await delivery.deliveriesEnded();
    return started;
  };
  const mails = () =>
    dataSource.getRepository(OutboxMail).find({ order: { id: 'ASC' } });
  const linkIn = (mail: PasswordResetMail) =>
    /[?&]token=([\w.-]+)/.exec(mail.text)![1];
  const madeLinks = () => dataSource.getRepository(ResetToken).find();

  it('sends a due reset mail with a link that works, records it sent and counts it', async () => {
    const delivery = deliveryWith();
    await queue('reset-password', ['1']);
    expect(await deliver(delivery)).toBe(1);
    const [sent] = transport.sent;
    expect(sent).toMatchObject({
      to: 'margaret@example.com',
      subject: 'Reset your password for your account',
    });
    expect(await tokens.find(linkIn(sent))).not.toBeNull();
    expect((await mails())[0]).toMatchObject({
      status: 'sent',
      sentAt: now,
      attempts: 1,
    });
    expect(metrics.mailAttempted).toHaveBeenCalledWith(
      'reset-password',
      'sent',
      now,
      now,
    );
    expect(await deliver(delivery)).toBe(0);
  });

  it('retries a failed attempt later, backing off exponentially up to the maximum, with a new link each time', async () => {
    const delivery = deliveryWith({
      delivery: { retryBaseMs: 1000, retryMaxMs: 3000 },
    });
    await queue('reset-password', ['1']);
    transport.failure = refusedBeforeData;
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 4; attempt++) {
      const before = now;
      expect(await deliver(delivery)).toBe(1);
      const [row] = await mails();
      expect(row).toMatchObject({
        status: 'pending',
        attempts: attempt,
        lastError: 'Connection refused',
      });
      delays.push(row.nextAttemptAt - before);
      now = row.nextAttemptAt - 1;
      expect(await deliver(delivery)).toBe(0);
      now += 1;
    }
    expect(delays).toEqual([1000, 2000, 3000, 3000]);
    const links = await madeLinks();
    expect(links).toHaveLength(4);
    expect(links.every((token) => token.revokedAt !== null)).toBe(true);
    expect(metrics.mailAttempted).toHaveBeenCalledWith(
      'reset-password',
      'failed',
      expect.any(Number),
      expect.any(Number),
    );
  });

  it('backs off by the defaults: 5 s doubling up to 15 minutes, then dead after the 12th attempt', async () => {
    const delivery = deliveryWith();
    await queue('password-changed', ['1']);
    transport.failure = refusedBeforeData;
    const delays: number[] = [];
    for (let attempt = 1; attempt < 12; attempt++) {
      const before = now;
      await deliver(delivery);
      now = (await mails())[0].nextAttemptAt;
      delays.push(now - before);
    }
    expect(delays).toEqual([
      5_000, 10_000, 20_000, 40_000, 80_000, 160_000, 320_000, 640_000, 900_000,
      900_000, 900_000,
    ]);
    await deliver(delivery);
    expect((await mails())[0]).toMatchObject({ status: 'dead', attempts: 12 });
  });

  it('buries a mail after the last attempt, with its error, and logs it', async () => {
    const delivery = deliveryWith({
      delivery: { maxAttempts: 2, retryBaseMs: 1 },
    });
    await queue('password-changed', ['1']);
    transport.failure = 'refused';
    await deliver(delivery);
    now += 1;
    await deliver(delivery);
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
    expect(await deliver(delivery)).toBe(0);
  });

  it('buries the mail of a user who no longer exists, without an attempt', async () => {
    const delivery = deliveryWith();
    await queue('reset-password', ['9']);
    await deliver(delivery);
    expect((await mails())[0]).toMatchObject({
      status: 'dead',
      attempts: 0,
      lastError: 'the user no longer exists',
    });
    expect(transport.sent).toEqual([]);
    expect(await madeLinks()).toEqual([]);
  });

  describe('after an attempt that may have delivered the link', () => {
    const linkOfTheAttempt = () => {
      let link: string | undefined;
      const issue = tokens.issue.bind(tokens);
      jest.spyOn(tokens, 'issue').mockImplementation(async (userId) => {
        const issued = await issue(userId);
        link = issued.link;
        return issued;
      });
      return () => link!;
    };

    it('sends no second link when the SMTP session broke after DATA: the mail ends unconfirmed, its link still works', async () => {
      const delivery = deliveryWith();
      await queue('reset-password', ['1']);
      transport.failure = droppedAfterData;
      const link = linkOfTheAttempt();
      await deliver(delivery);
      expect((await mails())[0]).toMatchObject({
        status: 'unconfirmed',
        sentAt: now,
        attempts: 1,
        lastError: 'Connection closed',
      });
      expect(await tokens.find(link())).not.toBeNull();
      expect(metrics.mailAttempted).toHaveBeenCalledWith(
        'reset-password',
        'unconfirmed',
        now,
        now,
      );
      now += 60 * 60 * 1000;
      expect(await deliver(delivery)).toBe(0);
    });

    it('retries with a new link when the SMTP session broke before DATA: the first link dies', async () => {
      const delivery = deliveryWith({ delivery: { retryBaseMs: 1 } });
      await queue('reset-password', ['1']);
      transport.failure = refusedBeforeData;
      const link = linkOfTheAttempt();
      await deliver(delivery);
      const first = link();
      expect((await mails())[0]).toMatchObject({ status: 'pending' });
      expect(await tokens.find(first)).toBeNull();
      transport.failure = undefined;
      now += 1;
      await deliver(delivery);
      expect(linkIn(transport.sent[0])).not.toBe(first);
      expect(await tokens.find(linkIn(transport.sent[0]))).not.toBeNull();
    });

    it("counts a host transport's dropped connection as maybe delivered", async () => {
      const delivery = deliveryWith();
      await queue('reset-password', ['1']);
      transport.failure = Object.assign(new Error('Connection closed'), {
        code: 'ECONNECTION',
      });
      await deliver(delivery);
      expect((await mails())[0]).toMatchObject({ status: 'unconfirmed' });
    });

    it('gives up an attempt at its deadline: it may have delivered', async () => {
      const delivery = deliveryWith({
        delivery: { attemptTimeoutMs: 20, leaseMs: 1000 },
      });
      await queue('reset-password', ['1']);
      transport.hold();
      await deliver(delivery);
      transport.release();
      expect((await mails())[0]).toMatchObject({
        status: 'unconfirmed',
        lastError: 'no answer from the mail transport within 20 ms',
      });
    });

    it('retries a notice all the same: it carries no link', async () => {
      const delivery = deliveryWith();
      await queue('password-changed', ['1']);
      transport.failure = droppedAfterData;
      await deliver(delivery);
      expect((await mails())[0]).toMatchObject({
        status: 'pending',
        attempts: 1,
      });
    });
  });

  it('has at most five deliveries under way, and starts more as they end', async () => {
    const delivery = deliveryWith();
    await queue('password-changed', Array(7).fill('1'));
    transport.hold();
    let ended = 0;
    delivery.onDeliveryEnded(() => (ended += 1));
    expect(await delivery.deliverDue()).toBe(5);
    expect(await delivery.deliverDue()).toBe(0);
    transport.release();
    await delivery.deliveriesEnded();
    expect(ended).toBe(5);
    expect(await deliver(delivery)).toBe(2);
    expect(transport.sent).toHaveLength(7);
  });

  it('claims up to five more than it starts, and gives those back to the queue, due now, when asked', async () => {
    const delivery = deliveryWith();
    await queue('password-changed', Array(12).fill('1'));
    transport.hold();
    expect(await delivery.deliverDue()).toBe(5);
    const statuses = async () =>
      (await mails()).map((mail) => [mail.status, mail.nextAttemptAt]);
    const lease = now + PASSWORD_RESET_DEFAULTS.delivery.leaseMs;
    expect(await statuses()).toEqual([
      ...Array(10).fill(['sending', lease]),
      ['pending', now],
      ['pending', now],
    ]);
    await delivery.releaseClaimed();
    transport.release();
    await delivery.deliveriesEnded();
    expect((await statuses()).slice(5)).toEqual(
      Array(7).fill(['pending', now]),
    );
    expect(transport.sent).toHaveLength(5);
  });

  it('starts a notice that comes due before the reset mails it claimed ahead', async () => {
    for (let id = 3; id <= 12; id++)
      users.set(String(id), { id: String(id), email: `user${id}@example.com` });
    const delivery = deliveryWith();
    await queue(
      'reset-password',
      Array.from({ length: 10 }, (_, i) => String(i + 3)),
    );
    transport.hold();
    expect(await delivery.deliverDue()).toBe(5);
    await queue('password-changed', ['1']);
    transport.release();
    await delivery.deliveriesEnded();
    transport.hold();
    expect(await delivery.deliverDue()).toBe(5);
    transport.release();
    await delivery.deliveriesEnded();
    expect(transport.sent.map((mail) => mail.to)).toEqual([
      ...Array.from({ length: 5 }, (_, i) => `user${i + 3}@example.com`),
      'margaret@example.com',
      ...Array.from({ length: 4 }, (_, i) => `user${i + 8}@example.com`),
    ]);
  });

  it("sends a user's reset mails one after another, and others' beside them: the newest link is the one that works", async () => {
    const delivery = deliveryWith();
    await queue('reset-password', ['1', '1', '2']);
    transport.hold();
    expect(await delivery.deliverDue()).toBe(2);
    expect(await delivery.deliverDue()).toBe(0);
    transport.release();
    await delivery.deliveriesEnded();
    expect(await deliver(delivery)).toBe(1);
    const toMargaret = transport.sent.filter(
      (mail) => mail.to === 'margaret@example.com',
    );
    expect(toMargaret).toHaveLength(2);
    expect(await tokens.find(linkIn(toMargaret[0]))).toBeNull();
    expect(await tokens.find(linkIn(toMargaret[1]))).not.toBeNull();
  });

  it('drops unsent, and makes no link for, a reset mail queued before the password changed; one queued after goes', async () => {
    const delivery = deliveryWith();
    await queue('reset-password', ['1']);
    await queue('password-changed', ['1']);
    await queue('reset-password', ['1']);
    await deliver(delivery);
    await deliver(delivery);
    expect(transport.sent.map((mail) => mail.subject)).toEqual([
      'Your password for your account was changed',
      'Reset your password for your account',
    ]);
    expect((await mails()).map((mail) => [mail.kind, mail.status])).toEqual([
      ['password-changed', 'sent'],
      ['reset-password', 'sent'],
    ]);
    expect(await madeLinks()).toHaveLength(1);
  });

  it('makes no link when another worker took the mail while the user was looked up', async () => {
    const delivery = deliveryWith();
    await queue('reset-password', ['1']);
    findUser = async (id) => {
      await dataSource
        .getRepository(OutboxMail)
        .update({ userId: id }, { nextAttemptAt: now + 5 });
      return users.get(id)!;
    };
    await deliver(delivery);
    expect(transport.sent).toEqual([]);
    expect(await madeLinks()).toEqual([]);
    expect(warnings).toHaveBeenCalledWith(
      expect.stringContaining('the lease lapsed before the attempt'),
    );
  });

  it('renews the lease before the attempt, and leaves the outcome to another worker that took the mail during it', async () => {
    const delivery = deliveryWith();
    await queue('password-changed', ['1']);
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
    await deliver(delivery);
    expect(transport.sent).toHaveLength(1);
    expect((await mails())[0]).toMatchObject({
      status: 'sending',
      attempts: 0,
    });
    expect(warnings).toHaveBeenCalledWith(
      expect.stringContaining('the lease lapsed during the attempt'),
    );
  });
});
