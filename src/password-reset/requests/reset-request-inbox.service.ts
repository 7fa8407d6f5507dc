import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import type { Clock } from '../clock';
import { PASSWORD_RESET_CLOCK } from '../password-reset.constants';
import { ResetRequest } from './reset-request.entity';

interface Waiting {
  identifier: string;
  requestedAt: number;
  settle: (error?: unknown) => void;
}

/** Rows per INSERT; well under every driver's limit on bound parameters. */
const MAX_ROWS_PER_INSERT = 500;

/**
 * Records reset requests durably. Requests arriving in the same turn of the
 * event loop share one multi-row INSERT, so the request path pays for one
 * commit per batch instead of one per request, and each caller still learns
 * only after its own row is committed.
 */
@Injectable()
export class ResetRequestInbox {
  private waiting: Waiting[] = [];

  constructor(
    @InjectRepository(ResetRequest) private readonly requests: Repository<ResetRequest>,
    @Inject(PASSWORD_RESET_CLOCK) private readonly clock: Clock,
  ) {}

  /** Resolves once the request is committed; rejects if the database refused it. */
  record(identifier: string): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.waiting.length === 0) setImmediate(() => void this.flush());
      this.waiting.push({
        identifier,
        requestedAt: this.clock.now(),
        settle: (error) => (error === undefined ? resolve() : reject(error)),
      });
    });
  }

  private async flush(): Promise<void> {
    const batch = this.waiting;
    this.waiting = [];
    for (let start = 0; start < batch.length; start += MAX_ROWS_PER_INSERT) {
      const chunk = batch.slice(start, start + MAX_ROWS_PER_INSERT);
      try {
        await this.requests.insert(chunk.map(({ identifier, requestedAt }) => ({ identifier, requestedAt })));
        chunk.forEach((request) => request.settle());
      } catch (error) {
        chunk.forEach((request) => request.settle(error));
      }
    }
  }

  /** The oldest requests, for the worker. */
  oldest(limit: number): Promise<ResetRequest[]> {
    return this.requests.find({ order: { id: 'ASC' }, take: limit });
  }

  /** Deletes processed requests that led to no mail. */
  async discard(ids: number[]): Promise<void> {
    if (ids.length > 0) await this.requests.delete(ids);
  }
}
