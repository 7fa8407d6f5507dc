import { DataSource, QueryFailedError } from 'typeorm';
import { ResetRequestInbox } from './reset-request-inbox.service';
import { ResetRequest } from './reset-request.entity';
import { inMemoryDatabase } from '../../../test/support/in-memory-database';

describe('ResetRequestInbox', () => {
  let dataSource: DataSource;
  let now: number;
  let inbox: ResetRequestInbox;
  let inserts: jest.SpyInstance;

  beforeEach(async () => {
    dataSource = await inMemoryDatabase();
    now = Date.UTC(2026, 10, 27, 12);
    const requests = dataSource.getRepository(ResetRequest);
    inserts = jest.spyOn(requests, 'query');
    inbox = new ResetRequestInbox(requests, { now: () => now });
  });
  afterEach(() => dataSource.destroy());

  const stored = () =>
    dataSource.getRepository(ResetRequest).find({ order: { id: 'ASC' } });
  // A NOT NULL column: the database refuses the row for its data.
  const refusedIdentifier = null as unknown as string;

  it('resolves once the request is committed, with what was asked and when', async () => {
    await inbox.record('margaret');
    await inbox.record('ada', 'https://app.example.test/');
    expect(await stored()).toEqual([
      {
        id: expect.any(Number),
        identifier: 'margaret',
        requestedAt: now,
        returnTo: null,
      },
      {
        id: expect.any(Number),
        identifier: 'ada',
        requestedAt: now,
        returnTo: 'https://app.example.test/',
      },
    ]);
  });

  it('commits the requests of one turn of the event loop in one INSERT', async () => {
    await Promise.all(
      ['a', 'b', 'c'].map((identifier) => inbox.record(identifier)),
    );
    expect(inserts).toHaveBeenCalledTimes(1);
    expect((await stored()).map((request) => request.identifier)).toEqual([
      'a',
      'b',
      'c',
    ]);
  });

  it('puts at most 500 rows in one INSERT', async () => {
    await Promise.all(
      Array.from({ length: 501 }, (_, index) => inbox.record(`user${index}`)),
    );
    expect(inserts).toHaveBeenCalledTimes(2);
    expect(await stored()).toHaveLength(501);
  });

  it('takes requests that arrive after a batch was committed in a batch of their own', async () => {
    await inbox.record('a');
    await inbox.record('b');
    expect(inserts).toHaveBeenCalledTimes(2);
    expect(await stored()).toHaveLength(2);
  });

  it('fails only the request whose row the database refuses; the others of its batch are committed', async () => {
    const outcomes = await Promise.allSettled(
      ['a', 'b', refusedIdentifier, 'c', 'd'].map((identifier) =>
        inbox.record(identifier),
      ),
    );
    expect(outcomes.map((outcome) => outcome.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
      'fulfilled',
    ]);
    expect((outcomes[2] as PromiseRejectedResult).reason).toBeInstanceOf(
      QueryFailedError,
    );
    expect((await stored()).map((request) => request.identifier)).toEqual([
      'a',
      'b',
      'c',
      'd',
    ]);
  });

  it('fails each of two refused rows alone, wherever they are in the batch', async () => {
    const identifiers = [
      'a',
      refusedIdentifier,
      'b',
      'c',
      'd',
      'e',
      refusedIdentifier,
    ];
    const outcomes = await Promise.allSettled(
      identifiers.map((identifier) => inbox.record(identifier)),
    );
    expect(outcomes.map((outcome) => outcome.status)).toEqual(
      identifiers.map((identifier) =>
        identifier === refusedIdentifier ? 'rejected' : 'fulfilled',
      ),
    );
    expect((await stored()).map((request) => request.identifier)).toEqual([
      'a',
      'b',
      'c',
      'd',
      'e',
    ]);
  });

  it('fails the whole batch at once, without retrying row by row, when the database itself fails', async () => {
    await dataSource.query('DROP TABLE password_reset_requests');
    const calls = inserts.mock.calls.length;
    const outcomes = await Promise.allSettled(
      ['a', 'b', 'c'].map((identifier) => inbox.record(identifier)),
    );
    expect(outcomes.map((outcome) => outcome.status)).toEqual([
      'rejected',
      'rejected',
      'rejected',
    ]);
    expect(inserts.mock.calls.length - calls).toBe(1);
  });

  it('claims the oldest requests first, as many as asked', async () => {
    for (const identifier of ['a', 'b', 'c']) await inbox.record(identifier);
    expect(
      (await inbox.claimOldest(dataSource.manager, 2)).map(
        (request) => request.identifier,
      ),
    ).toEqual(['a', 'b']);
  });

  it('discards processed requests, and fails when another worker discarded one of them first', async () => {
    for (const identifier of ['a', 'b', 'c']) await inbox.record(identifier);
    const [a, b, c] = await stored();
    await inbox.discard(dataSource.manager, [a.id, b.id]);
    expect(await stored()).toEqual([c]);
    await expect(
      inbox.discard(dataSource.manager, [a.id, c.id]),
    ).rejects.toThrow('1 of 2 requests were taken by another worker');
  });
});
