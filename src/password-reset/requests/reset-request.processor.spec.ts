import { DataSource } from 'typeorm';
import { AccountLimitService } from '../account-limit/account-limit.service';
import type {
  PasswordResetUser,
  PasswordResetUserStore,
} from '../interfaces/password-reset-user-store.interface';
import { MailOutboxService } from '../mail/mail-outbox.service';
import { OutboxMail } from '../mail/outbox-mail.entity';
import { ResetRequestInbox } from './reset-request-inbox.service';
import { ResetRequest } from './reset-request.entity';
import { ResetRequestProcessor } from './reset-request.processor';
import { withoutListeners } from '../../../test/support/without-listeners';
import { inMemoryDatabase } from '../../../test/support/in-memory-database';
import { resolvedOptions } from '../../../test/support/module-options';

const KNOWN: PasswordResetUser[] = [
  { id: '1', username: 'margaret', email: 'margaret@example.com' },
  { id: '2', username: 'grace', email: 'grace@example.com' },
];

/** Finds users by username; in bulk only when asked to. */
function userStore(
  bulk: boolean,
): PasswordResetUserStore & { lookups: string[][] } {
  const find = (identifier: string) =>
    KNOWN.find((user) => user.username === identifier) ?? null;
  const lookups: string[][] = [];
  return {
    lookups,
    findByIdentifier: async (identifier) => {
      lookups.push([identifier]);
      return find(identifier);
    },
    findById: async (id) => KNOWN.find((user) => user.id === id) ?? null,
    setPassword: async () => undefined,
    ...(bulk && {
      findManyByIdentifiers: async (identifiers: string[]) => {
        lookups.push(identifiers);
        return identifiers.map(find);
      },
    }),
  };
}

describe('ResetRequestProcessor', () => {
  let dataSource: DataSource;
  let inbox: ResetRequestInbox;
  const now = Date.UTC(2026, 10, 27, 12);
  const clock = { now: () => now };

  beforeEach(async () => {
    dataSource = await inMemoryDatabase();
    inbox = new ResetRequestInbox(
      dataSource.getRepository(ResetRequest),
      clock,
    );
  });
  afterEach(() => dataSource.destroy());

  const processorFor = (users: PasswordResetUserStore) => {
    const options = resolvedOptions();
    const accounts = new AccountLimitService(dataSource, clock, options);
    const outbox = new MailOutboxService(
      dataSource.getRepository(OutboxMail),
      dataSource,
      clock,
      accounts,
      options,
    );
    return new ResetRequestProcessor(
      inbox,
      outbox,
      accounts,
      dataSource,
      withoutListeners(clock),
      users,
    );
  };
  const requests = (identifiers: string[]) =>
    dataSource
      .getRepository(ResetRequest)
      .insert(
        identifiers.map((identifier) => ({ identifier, requestedAt: now })),
      );
  const queuedFor = async () =>
    (
      await dataSource.getRepository(OutboxMail).find({ order: { id: 'ASC' } })
    ).map((mail) => [mail.kind, mail.userId]);
  const waiting = () => dataSource.getRepository(ResetRequest).count();

  it('has nothing to do without requests', async () => {
    expect(await processorFor(userStore(true)).processBatch()).toBe(0);
  });

  it('queues a reset mail for each request of a known user, in the order they came, and deletes every request, known or not', async () => {
    await requests(['grace', 'nobody', 'margaret']);
    expect(await processorFor(userStore(true)).processBatch()).toBe(3);
    expect(await queuedFor()).toEqual([
      ['reset-password', '2'],
      ['reset-password', '1'],
    ]);
    expect(await waiting()).toBe(0);
  });

  it('queues no more for an account than its limit allows', async () => {
    await requests(Array(5).fill('margaret'));
    await processorFor(userStore(true)).processBatch();
    expect(await queuedFor()).toEqual(Array(3).fill(['reset-password', '1']));
    expect(await waiting()).toBe(0);
  });

  it("carries each request's return address to its mail; over the limit, the newest requests' ones", async () => {
    await dataSource.getRepository(ResetRequest).insert(
      ['a', 'b', 'c', 'd'].map((page) => ({
        identifier: 'margaret',
        requestedAt: now,
        returnTo: `https://app.example.test/${page}`,
      })),
    );
    await processorFor(userStore(true)).processBatch();
    const mails = await dataSource
      .getRepository(OutboxMail)
      .find({ order: { id: 'ASC' } });
    expect(mails.map((mail) => mail.returnTo)).toEqual(
      ['b', 'c', 'd'].map((page) => `https://app.example.test/${page}`),
    );
  });

  it('looks each identifier up once, in bulk where the store can, else one by one', async () => {
    const bulk = userStore(true);
    await requests(['margaret', 'nobody', 'margaret']);
    await processorFor(bulk).processBatch();
    expect(bulk.lookups).toEqual([['margaret', 'nobody']]);

    const single = userStore(false);
    await requests(['grace', 'nobody', 'grace']);
    await processorFor(single).processBatch();
    expect(single.lookups.sort()).toEqual([['grace'], ['nobody']]);
    expect(await queuedFor()).toEqual([
      ['reset-password', '1'],
      ['reset-password', '1'],
      ['reset-password', '2'],
      ['reset-password', '2'],
    ]);
  });

  it('claims at most 500 requests at a time, oldest first', async () => {
    await requests(Array(500).fill('nobody'));
    await requests(['margaret']);
    const processor = processorFor(userStore(true));
    expect(await processor.processBatch()).toBe(500);
    expect(await queuedFor()).toEqual([]);
    expect(await processor.processBatch()).toBe(1);
    expect(await queuedFor()).toEqual([['reset-password', '1']]);
  });

  it('queues the mails and deletes the requests together: when the delete fails, no mail stays queued', async () => {
    await requests(['margaret']);
    jest
      .spyOn(inbox, 'discard')
      .mockRejectedValueOnce(new Error('taken by another worker'));
    const processor = processorFor(userStore(true));
    await expect(processor.processBatch()).rejects.toThrow(
      'taken by another worker',
    );
    expect(await queuedFor()).toEqual([]);
    expect(await waiting()).toBe(1);
  });
});
