import { DataSource, EntityManager } from 'typeorm';
import {
  createTestDatabase,
  describeEachNetworkedDatabase,
} from '../../../test/support/databases';
import { PASSWORD_RESET_ENTITIES } from '../password-reset.entities';
import { PASSWORD_RESET_MIGRATIONS } from '../password-reset.migrations';
import { OutboxMail, OutboxMailKind } from '../mail/outbox-mail.entity';
import { AccountLimitService } from './account-limit.service';
import { AccountLock } from './account-lock.entity';
import { inMemoryDatabase } from '../../../test/support/in-memory-database';
import { resolvedOptions } from '../../../test/support/module-options';

const HOUR = 60 * 60 * 1000;

/** The allowance of one account, asked for alone. */
const allowanceOf = async (
  limit: AccountLimitService,
  manager: EntityManager,
  userId: string,
  wanted: number,
) => (await limit.allowances(manager, new Map([[userId, wanted]]))).get(userId);

describe('AccountLimitService', () => {
  let dataSource: DataSource;
  let now: number;

  beforeEach(async () => {
    dataSource = await inMemoryDatabase();
    now = Date.UTC(2026, 10, 27, 12);
  });
  afterEach(() => dataSource.destroy());

  const limitWith = (accountLimit?: { max: number; windowMs: number }) =>
    new AccountLimitService(
      dataSource,
      { now: () => now },
      resolvedOptions({ accountLimit }),
    );
  const queued = (
    userId: string,
    createdAt: number,
    kind: OutboxMailKind = 'reset-password',
  ) =>
    dataSource.manager.insert(OutboxMail, {
      kind,
      userId,
      createdAt,
      status: 'sent',
      attempts: 1,
      nextAttemptAt: createdAt,
      sentAt: createdAt,
      lastError: null,
    });
  const allowance = (
    limit: AccountLimitService,
    userId: string,
    wanted: number,
  ) => allowanceOf(limit, dataSource.manager, userId, wanted);

  it('allows three reset mails an hour by default', async () => {
    const limit = limitWith();
    expect(limit.limit).toEqual({ max: 3, windowMs: HOUR });
    expect(await allowance(limit, '7', 5)).toBe(3);
    expect(await allowance(limit, '7', 2)).toBe(2);
  });

  it("subtracts the account's reset mails queued within the window, and never goes below nothing", async () => {
    const limit = limitWith({ max: 3, windowMs: HOUR });
    await queued('7', now - 10);
    expect(await allowance(limit, '7', 5)).toBe(2);
    await queued('7', now - 20);
    await queued('7', now - 30);
    await queued('7', now - 40);
    expect(await allowance(limit, '7', 1)).toBe(0);
  });

  it('counts a mail queued just inside the window, not one queued exactly a window ago', async () => {
    const limit = limitWith({ max: 1, windowMs: HOUR });
    await queued('7', now - HOUR);
    expect(await allowance(limit, '7', 1)).toBe(1);
    await queued('7', now - HOUR + 1);
    expect(await allowance(limit, '7', 1)).toBe(0);
  });

  it("counts neither another account's mails nor password-changed notices", async () => {
    const limit = limitWith({ max: 1, windowMs: HOUR });
    await queued('8', now);
    await queued('7', now, 'password-changed');
    expect(await allowance(limit, '7', 1)).toBe(1);
  });

  it('counts each account of a batch against its own mails', async () => {
    const limit = limitWith({ max: 3, windowMs: HOUR });
    await queued('7', now - 10);
    await queued('7', now - 20);
    await queued('8', now - 10);
    expect(
      await limit.allowances(
        dataSource.manager,
        new Map([
          ['7', 5],
          ['8', 1],
          ['9', 4],
        ]),
      ),
    ).toEqual(
      new Map([
        ['7', 1],
        ['8', 1],
        ['9', 3],
      ]),
    );
  });

  it('takes its limit from the options', async () => {
    const limit = limitWith({ max: 5, windowMs: 1000 });
    expect(limit.limit).toEqual({ max: 5, windowMs: 1000 });
    await queued('7', now - 1001);
    expect(await allowance(limit, '7', 9)).toBe(5);
  });

  it('locks nothing where rows do not lock (SQLite), so no account is held by another', async () => {
    expect(
      await limitWith().lockUnlessHeld(dataSource.manager, ['7', '8']),
    ).toEqual(new Set());
  });
});

describeEachNetworkedDatabase(
  'AccountLimitService where rows lock (%s)',
  (databaseKind) => {
    let dataSource: DataSource;
    let drop: () => Promise<void>;
    let limit: AccountLimitService;
    const now = Date.UTC(2026, 10, 27, 12);

    beforeEach(async () => {
      const database = await createTestDatabase(databaseKind);
      drop = database.drop;
      const tables = {
        url: database.url.replace(/^mariadb:/, 'mysql:'),
        entities: PASSWORD_RESET_ENTITIES,
        migrations: PASSWORD_RESET_MIGRATIONS,
        migrationsRun: true,
      };
      dataSource = await new DataSource(
        databaseKind === 'postgres'
          ? { type: 'postgres', ...tables }
          : { type: 'mariadb', ...tables },
      ).initialize();
      limit = new AccountLimitService(
        dataSource,
        { now: () => now },
        resolvedOptions({ accountLimit: { max: 1, windowMs: HOUR } }),
      );
    });
    afterEach(async () => {
      await dataSource.destroy();
      await drop();
    });

    /** A transaction that runs `work`, then holds its locks until released. */
    const heldTransaction = <T>(
      work: (manager: EntityManager) => Promise<T>,
    ) => {
      let release!: () => void;
      let reached!: (value: T) => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      const result = new Promise<T>((resolve) => (reached = resolve));
      const done = dataSource.transaction('READ COMMITTED', async (manager) => {
        reached(await work(manager));
        await released;
      });
      return { result, release, done };
    };
    const queueMail = (manager: EntityManager, userId: string) =>
      manager.insert(OutboxMail, {
        kind: 'reset-password',
        userId,
        createdAt: now,
        status: 'pending',
        attempts: 0,
        nextAttemptAt: now,
        sentAt: null,
        lastError: null,
      });

    it("makes the account's row, and makes a second instance wait for the first one's mail before counting", async () => {
      const first = heldTransaction(async (manager) => {
        const allowed = await allowanceOf(limit, manager, '7', 1);
        await queueMail(manager, '7');
        return allowed;
      });
      expect(await first.result).toBe(1);
      let secondCounted = false;
      const second = dataSource
        .transaction('READ COMMITTED', (manager) =>
          allowanceOf(limit, manager, '7', 1),
        )
        .finally(() => (secondCounted = true));
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(secondCounted).toBe(false);
      first.release();
      await first.done;
      expect(await second).toBe(0);
      expect(
        await dataSource.getRepository(AccountLock).findOneBy({ userId: '7' }),
      ).not.toBeNull();
    });

    it('locks every account of a batch, so that a batch sharing one of them waits, then counts its mail', async () => {
      await dataSource.transaction('READ COMMITTED', (manager) =>
        allowanceOf(limit, manager, '9', 1),
      );
      const first = heldTransaction(async (manager) => {
        const allowed = await limit.allowances(
          manager,
          new Map([
            ['7', 1],
            ['9', 1],
          ]),
        );
        await queueMail(manager, '7');
        return allowed;
      });
      expect(await first.result).toEqual(
        new Map([
          ['7', 1],
          ['9', 1],
        ]),
      );
      let secondCounted = false;
      const second = dataSource
        .transaction('READ COMMITTED', (manager) =>
          limit.allowances(
            manager,
            new Map([
              ['10', 1],
              ['7', 1],
            ]),
          ),
        )
        .finally(() => (secondCounted = true));
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(secondCounted).toBe(false);
      first.release();
      await first.done;
      expect(await second).toEqual(
        new Map([
          ['10', 1],
          ['7', 0],
        ]),
      );
      expect(await dataSource.getRepository(AccountLock).count()).toBe(3);
    });

    it("locks the account's own row, also where other accounts have theirs", async () => {
      await dataSource.transaction('READ COMMITTED', (manager) =>
        allowanceOf(limit, manager, '8', 1),
      );
      await dataSource.transaction('READ COMMITTED', (manager) =>
        allowanceOf(limit, manager, '7', 1),
      );
      expect(
        await dataSource.getRepository(AccountLock).findOneBy({ userId: '7' }),
      ).not.toBeNull();
    });

    it('names the accounts another transaction holds, without waiting for them, and locks the others', async () => {
      for (const userId of ['7', '8', '10'])
        await dataSource.transaction('READ COMMITTED', (manager) =>
          allowanceOf(limit, manager, userId, 1),
        );
      const holder = heldTransaction(async (manager) => {
        await allowanceOf(limit, manager, '7', 1);
        await allowanceOf(limit, manager, '10', 1);
      });
      await holder.result;
      const held = await dataSource.transaction('READ COMMITTED', (manager) =>
        limit.lockUnlessHeld(manager, ['7', '8', '9']),
      );
      expect(held).toEqual(new Set(['7']));
      expect(
        await dataSource.transaction('READ COMMITTED', (manager) =>
          limit.lockUnlessHeld(manager, []),
        ),
      ).toEqual(new Set());
      holder.release();
      await holder.done;
      expect(
        await dataSource.transaction('READ COMMITTED', (manager) =>
          limit.lockUnlessHeld(manager, ['7', '8']),
        ),
      ).toEqual(new Set());
    });
  },
);
