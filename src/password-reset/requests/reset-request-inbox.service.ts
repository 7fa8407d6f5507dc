import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { isRefusedData } from '../persistence/database-errors';
import { skippingLocked } from '../persistence/row-locks';
import type { Clock } from '../clock';
import { PASSWORD_RESET_CLOCK } from '../password-reset.constants';
import { ResetRequest } from './reset-request.entity';

interface Waiting {
  identifier: string;
  requestedAt: number;
  returnTo: string | null;
  settle: (error?: unknown) => void;
}

/** Rows per INSERT; well under every driver's limit on bound parameters. */
const MAX_ROWS_PER_INSERT = 500;

/**
 * Records reset requests durably. Requests arriving in the same turn of the
 * event loop, or while the previous INSERT runs, share one multi-row INSERT, so
 * the request path pays for one commit per batch instead of one per request,
 * and each caller still learns only after its own row is committed.
 */
@Injectable()
export class ResetRequestInbox {
  private waiting: Waiting[] = [];
  private flushing = false;
  /** `INSERT INTO requests (identifier, requested_at, return_to) VALUES`, quoted for this database. */
  private readonly insertInto: string;

  constructor(
    @InjectRepository(ResetRequest)
    private readonly requests: Repository<ResetRequest>,
    @Inject(PASSWORD_RESET_CLOCK) private readonly clock: Clock,
  ) {
    const { driver } = requests.manager.connection;
    const { tablePath, columns } = requests.metadata;
    const columnNames = ['identifier', 'requestedAt', 'returnTo'].map(
      (property) =>
        driver.escape(
          columns.find((column) => column.propertyName === property)!
            .databaseName,
        ),
    );
    const table = tablePath
      .split('.')
      .map((part) => driver.escape(part))
      .join('.');
    this.insertInto = `INSERT INTO ${table} (${columnNames.join(', ')}) VALUES `;
  }

  /** Resolves once the request is committed; rejects if the database refused it. `returnTo` is already checked. */
  record(identifier: string, returnTo: string | null = null): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({
        identifier,
        requestedAt: this.clock.now(),
        returnTo,
        settle: (error) => (error === undefined ? resolve() : reject(error)),
      });
      if (!this.flushing) {
        this.flushing = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  /** Requests that arrive while an INSERT is under way wait for the next one: under load, more share a commit. */
  private async flush(): Promise<void> {
    while (this.waiting.length > 0) {
      const batch = this.waiting.splice(0, MAX_ROWS_PER_INSERT);
      await this.insert(batch);
    }
    this.flushing = false;
  }

  /**
   * Validation keeps out what a database could refuse, but should a row get
   * through anyway, it must fail alone: a batch refused for its data is split
   * in halves until the refused row is by itself. Any other failure (the
   * database is down) fails the whole batch at once, without retrying it row by row.
   */
  private async insert(batch: Waiting[]): Promise<void> {
    try {
      await this.requests.query(...this.insertStatement(batch));
      batch.forEach((request) => request.settle());
    } catch (error) {
      if (batch.length === 1 || !isRefusedData(error)) {
        batch.forEach((request) => request.settle(error));
        return;
      }
      const half = Math.ceil(batch.length / 2);
      await this.insert(batch.slice(0, half));
      await this.insert(batch.slice(half));
    }
  }

  /**
   * One multi-row INSERT, written here rather than by TypeORM's query builder,
   * which was one of the largest costs of a request in a CPU profile under
   * load: it maps every value through the entity's metadata and reads the
   * generated ids back, which nothing uses. The columns take their values as
   * they are: a string, a number, a string or null.
   */
  private insertStatement(batch: Waiting[]): [string, unknown[]] {
    const { driver } = this.requests.manager.connection;
    const rows = batch.map(
      (_, row) =>
        `(${driver.createParameter('identifier', 3 * row)}, ${driver.createParameter('requestedAt', 3 * row + 1)}, ${driver.createParameter('returnTo', 3 * row + 2)})`,
    );
    return [
      this.insertInto + rows.join(', '),
      batch.flatMap(({ identifier, requestedAt, returnTo }) => [
        identifier,
        requestedAt,
        returnTo,
      ]),
    ];
  }

  /** The oldest requests, locked for the caller's transaction where rows lock; those another worker holds are skipped. */
  claimOldest(manager: EntityManager, limit: number): Promise<ResetRequest[]> {
    return skippingLocked(
      manager
        .createQueryBuilder(ResetRequest, 'request')
        .orderBy('request.id', 'ASC')
        .limit(limit),
    ).getMany();
  }

  /**
   * Deletes processed requests. All of them or none: a request another worker
   * deleted first (SQLite shared by processes, where nothing is locked) fails
   * the caller's transaction, and the batch is claimed afresh.
   */
  async discard(manager: EntityManager, ids: number[]): Promise<void> {
    const { affected } = await manager.delete(ResetRequest, ids);
    if (affected !== ids.length)
      throw new Error(
        `${ids.length - (affected ?? 0)} of ${ids.length} requests were taken by another worker`,
      );
  }
}
