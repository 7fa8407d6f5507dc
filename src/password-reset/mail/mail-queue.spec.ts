import { DataSource } from 'typeorm';
import { inMemoryDatabase } from '../../../test/support/in-memory-database';
import { PasswordResetMailQueue } from './mail-queue';
import { OutboxMail, OutboxMailStatus } from './outbox-mail.entity';

const MINUTE = 60 * 1000;
const HOUR = 60 * MINUTE;

describe('PasswordResetMailQueue', () => {
  let dataSource: DataSource;
  let now: number;
  const clock = { now: () => now };

  beforeEach(async () => {
    dataSource = await inMemoryDatabase();
    now = Date.UTC(2026, 10, 27, 12);
  });
  afterEach(() => dataSource.destroy());

  const resetMail = async (
    status: OutboxMailStatus,
    createdAt: number,
  ): Promise<number> => {
    const { identifiers } = await dataSource.manager.insert(OutboxMail, {
      kind: 'reset-password',
      userId: '7',
      createdAt,
      status,
      attempts: status === 'dead' ? 5 : 1,
      nextAttemptAt: createdAt,
      sentAt: status === 'sent' ? createdAt : null,
      lastError: status === 'dead' ? '550 mailbox unavailable' : null,
    });
    return identifiers[0].id as number;
  };
  const statusOf = async (id: number) =>
    (await dataSource.manager.findOneByOrFail(OutboxMail, { id })).status;

  /** Two reset mails sent in the last hour, then a third that died. */
  const twoSentThenOneDead = async () => {
    await resetMail('sent', now - 20 * MINUTE);
    await resetMail('sent', now - 15 * MINUTE);
    return resetMail('dead', now - 10 * MINUTE);
  };

  it('queues a dead reset mail again within the default limit of three an hour, as of now', async () => {
    const dead = await twoSentThenOneDead();
    const queue = new PasswordResetMailQueue(dataSource, { clock });
    expect(await queue.retryDead()).toEqual({ retried: 1, skipped: [] });
    expect(
      await dataSource.manager.findOneByOrFail(OutboxMail, { id: dead }),
    ).toMatchObject({ status: 'pending', attempts: 0, createdAt: now });
  });

  it("counts a retried reset mail against the host's own per-account limit, and leaves it dead past it", async () => {
    const dead = await twoSentThenOneDead();
    const queue = new PasswordResetMailQueue(dataSource, {
      clock,
      accountLimit: { max: 2, windowMs: HOUR },
    });
    expect(await queue.retryDead(dead)).toEqual({
      retried: 0,
      skipped: [{ id: dead, kind: 'reset-password', reason: 'account-limit' }],
    });
    expect(await statusOf(dead)).toBe('dead');
  });

  it('tells the dead mail apart in its status, and deletes only dead mail older than asked', async () => {
    const old = await resetMail('dead', now - 8 * 24 * HOUR);
    const recent = await resetMail('dead', now - HOUR);
    const queue = new PasswordResetMailQueue(dataSource, { clock });
    expect(
      (await queue.status()).kinds.find(
        (kind) => kind.kind === 'reset-password',
      ),
    ).toMatchObject({ dead: 2, pending: 0 });
    expect(await queue.purgeDead(7 * 24 * HOUR)).toBe(1);
    expect(await dataSource.manager.existsBy(OutboxMail, { id: old })).toBe(
      false,
    );
    expect(await statusOf(recent)).toBe('dead');
  });
});
