import { DataSource } from 'typeorm';
import { AccountLimitService } from '../account-limit/account-limit.service';
import { MailOutboxService } from './mail-outbox.service';
import { OutboxMail, OutboxMailKind, PRIORITY_OF } from './outbox-mail.entity';
import { inMemoryDatabase } from '../../../test/support/in-memory-database';
import { resolvedOptions } from '../../../test/support/module-options';

const LEASE_MS = 90_000;

describe('MailOutboxService', () => {
  let dataSource: DataSource;
  let now: number;
  let outbox: MailOutboxService;

  beforeEach(async () => {
    dataSource = await inMemoryDatabase();
    now = Date.UTC(2026, 10, 27, 12);
    const clock = { now: () => now };
    const options = resolvedOptions({ delivery: { leaseMs: LEASE_MS } });
    outbox = new MailOutboxService(
      dataSource.getRepository(OutboxMail),
      dataSource,
      clock,
      new AccountLimitService(dataSource, clock, options),
      options,
    );
  });
  afterEach(() => dataSource.destroy());

  const queue = (kind: OutboxMailKind, userIds: string[]) =>
    outbox.enqueue(
      dataSource.manager,
      kind,
      userIds.map((userId) => ({ userId })),
    );
  const mails = () =>
    dataSource.getRepository(OutboxMail).find({ order: { id: 'ASC' } });
  const claimed = async (limit = 10) =>
    (await outbox.claim(limit)).map((mail) => [mail.kind, mail.userId]);
  /** What another worker does to a mail when it takes it over: a lease of its own. */
  const takenOver = (mail: OutboxMail) =>
    dataSource
      .getRepository(OutboxMail)
      .update(mail.id, { nextAttemptAt: mail.nextAttemptAt + 1 });

  it('queues one pending mail per user given, due at once, and nothing for nobody', async () => {
    await queue('reset-password', []);
    expect(await mails()).toEqual([]);
    await queue('reset-password', ['1', '1']);
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
      returnTo: null,
      linkPurpose: 'reset',
      linkTtlMs: null,
    };
    expect(await mails()).toEqual([
      { id: expect.any(Number), ...mail },
      { id: expect.any(Number), ...mail },
    ]);
  });

  it("keeps what a reset mail's link is to carry", async () => {
    await outbox.enqueue(dataSource.manager, 'reset-password', [
      { userId: '1', returnTo: 'https://app.example.test/' },
    ]);
    expect(await mails()).toEqual([
      expect.objectContaining({
        userId: '1',
        returnTo: 'https://app.example.test/',
      }),
    ]);
  });

  it('claims notices first, then the mail due earliest, then the one queued first, as many as asked', async () => {
    await queue('reset-password', ['1']);
    await queue('reset-password', ['2']);
    now += 1;
    await queue('reset-password', ['4']);
    await queue('password-changed', ['3']);
    const [first] = await mails();
    await dataSource
      .getRepository(OutboxMail)
      .update(first.id, { nextAttemptAt: now });
    expect(await claimed(2)).toEqual([
      ['password-changed', '3'],
      ['reset-password', '2'],
    ]);
    expect(await claimed()).toEqual([
      ['reset-password', '1'],
      ['reset-password', '4'],
    ]);
  });

  it('claims no mail before it is due', async () => {
    await queue('password-changed', ['1']);
    const [mail] = await mails();
    await dataSource
      .getRepository(OutboxMail)
      .update(mail.id, { nextAttemptAt: now + 1 });
    expect(await claimed()).toEqual([]);
    now += 1;
    expect(await claimed()).toEqual([['password-changed', '1']]);
  });

  it('holds a claimed mail under a lease: no one claims it again until the lease runs out, then another may (the first worker died)', async () => {
    await queue('password-changed', ['1']);
    const [mail] = await outbox.claim(1);
    expect(mail).toMatchObject({
      status: 'sending',
      nextAttemptAt: now + LEASE_MS,
    });
    expect(await mails()).toMatchObject([
      { status: 'sending', nextAttemptAt: now + LEASE_MS },
    ]);
    now += LEASE_MS - 1;
    expect(await claimed()).toEqual([]);
    now += 1;
    const [again] = await outbox.claim(1);
    expect(again).toMatchObject({
      id: mail.id,
      status: 'sending',
      nextAttemptAt: now + LEASE_MS,
    });
  });

  it("claims one reset mail of a user at a time, none while one of theirs is being sent, and others' mails beside it", async () => {
    await queue('reset-password', ['1', '1', '2']);
    await queue('password-changed', ['1']);
    expect(await claimed()).toEqual([
      ['password-changed', '1'],
      ['reset-password', '1'],
      ['reset-password', '2'],
    ]);
    expect(await claimed()).toEqual([]);
    const [sending] = await mails();
    await outbox.record({ ...sending, status: 'sending' }, { status: 'sent' });
    expect(await claimed()).toEqual([['reset-password', '1']]);
  });

  it('renews a lease it still holds, from now, and not one that another worker has taken over', async () => {
    await queue('password-changed', ['1', '2']);
    const [first, second] = await outbox.claim(2);
    now += 10;
    expect(await outbox.renewLease(first)).toMatchObject({
      outcome: 'renewed',
      mail: { id: first.id, nextAttemptAt: now + LEASE_MS },
    });
    expect((await mails())[0].nextAttemptAt).toBe(now + LEASE_MS);
    await takenOver(second);
    expect(await outbox.renewLease(second)).toEqual({ outcome: 'lapsed' });
    expect((await mails())[1].nextAttemptAt).toBe(second.nextAttemptAt + 1);
  });

  it("renews a reset mail's lease only while the user's password has not changed since it was queued", async () => {
    await queue('reset-password', ['1', '2']);
    await queue('password-changed', ['1']);
    await queue('reset-password', ['3']);
    await queue('password-changed', ['2']);
    const [changed, changedLater, unchanged] = (await outbox.claim(5)).filter(
      (mail) => mail.kind === 'reset-password',
    );
    expect([changed, changedLater, unchanged].map((m) => m.userId)).toEqual([
      '1',
      '2',
      '3',
    ]);
    now += 10;
    expect(await outbox.renewLease(changed)).toEqual({
      outcome: 'password changed',
    });
    expect(await outbox.renewLease(changedLater)).toEqual({
      outcome: 'password changed',
    });
    expect(await outbox.renewLease(unchanged)).toMatchObject({
      outcome: 'renewed',
    });
    const leases = new Map(
      (await mails()).map((mail) => [mail.id, mail.nextAttemptAt]),
    );
    expect(leases.get(changed.id)).toBe(changed.nextAttemptAt);
    expect(leases.get(unchanged.id)).toBe(now + LEASE_MS);
  });

  it("tells a reset mail's lapsed lease from a changed password", async () => {
    await queue('reset-password', ['1']);
    const [mail] = await outbox.claim(1);
    await takenOver(mail);
    expect(await outbox.renewLease(mail)).toEqual({ outcome: 'lapsed' });
  });

  it('records an outcome while the lease is held, and leaves the mail to the worker that took it over', async () => {
    await queue('password-changed', ['1', '2']);
    const [held, lost] = await outbox.claim(2);
    expect(
      await outbox.record(held, { status: 'sent', sentAt: now, attempts: 1 }),
    ).toBe(true);
    await takenOver(lost);
    expect(await outbox.record(lost, { status: 'sent', attempts: 1 })).toBe(
      false,
    );
    expect(await mails()).toMatchObject([
      { status: 'sent', sentAt: now, attempts: 1 },
      { status: 'sending', attempts: 0 },
    ]);
  });

  it('keeps at most 500 characters of an error', async () => {
    await queue('password-changed', ['1']);
    const [mail] = await outbox.claim(1);
    await outbox.record(mail, { status: 'dead', lastError: 'x'.repeat(600) });
    expect((await mails())[0].lastError).toBe('x'.repeat(500));
  });

  it('drops a mail while the lease is held, and not one another worker took over', async () => {
    await queue('reset-password', ['1', '2']);
    const [held, lost] = await outbox.claim(2);
    await takenOver(lost);
    expect(await outbox.drop(held)).toBe(true);
    expect(await outbox.drop(lost)).toBe(false);
    expect((await mails()).map((mail) => mail.userId)).toEqual(['2']);
  });

  it("tells whether the user's password changed after a mail was queued: a notice of theirs was queued after it", async () => {
    await queue('password-changed', ['1']);
    await queue('reset-password', ['1']);
    await queue('password-changed', ['2']);
    const [, reset] = await mails();
    expect(await outbox.passwordChangedSince(reset)).toBe(false);
    await queue('password-changed', ['1']);
    expect(await outbox.passwordChangedSince(reset)).toBe(true);
  });

  it('forgets sent and unconfirmed mails queued before a time, and keeps dead and waiting ones', async () => {
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
