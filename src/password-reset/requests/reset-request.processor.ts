import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Clock } from '../clock';
import type { PasswordResetModuleOptions } from '../interfaces/password-reset-module-options.interface';
import type { PasswordResetUser, PasswordResetUserStore } from '../interfaces/password-reset-user-store.interface';
import { forEachConcurrently } from '../concurrency';
import { MailOutboxService } from '../mail/mail-outbox.service';
import { PASSWORD_RESET_CLOCK, PASSWORD_RESET_USER_STORE } from '../password-reset.constants';
import { PASSWORD_RESET_OPTIONS } from '../password-reset.module-definition';
import { ResetRequest } from './reset-request.entity';
import { ResetRequestInbox } from './reset-request-inbox.service';

export const DEFAULT_ACCOUNT_LIMIT = { max: 3, windowMs: 60 * 60 * 1000 };
/** Requests resolved together; one bulk lookup each. */
const BATCH_SIZE = 500;
/** Lookups at once for a store without `findManyByIdentifiers`. */
const LOOKUP_CONCURRENCY = 8;

/**
 * Turns recorded requests into queued reset mails, off the request path: this
 * is where it matters whether the user exists, and nobody is waiting for it.
 * A request for an unknown user, or for one over the per-account limit, is
 * simply deleted; either way the row that held what a stranger typed is gone.
 */
@Injectable()
export class ResetRequestProcessor {
  private readonly accountLimit: { max: number; windowMs: number };

  constructor(
    private readonly inbox: ResetRequestInbox,
    private readonly outbox: MailOutboxService,
    private readonly dataSource: DataSource,
    @Inject(PASSWORD_RESET_USER_STORE) private readonly users: PasswordResetUserStore,
    @Inject(PASSWORD_RESET_CLOCK) private readonly clock: Clock,
    @Inject(PASSWORD_RESET_OPTIONS) options: PasswordResetModuleOptions,
  ) {
    this.accountLimit = options.accountLimit ?? DEFAULT_ACCOUNT_LIMIT;
  }

  /** Processes the oldest requests; returns how many, so the caller knows whether more wait. */
  async processBatch(): Promise<number> {
    const requests = await this.inbox.oldest(BATCH_SIZE);
    const users = await this.resolve([...new Set(requests.map((request) => request.identifier))]);
    const allowances = new Map<string, number>();
    const unmailed: number[] = [];
    for (const request of requests) {
      const user = users.get(request.identifier);
      if (user && (await this.takeFromAccountLimit(user.id, allowances))) {
        await this.queueMail(request, user.id);
        // Let waiting HTTP requests in between mails: a large batch must not stall the request path.
        await new Promise((resolve) => setImmediate(resolve));
      } else {
        unmailed.push(request.id);
      }
    }
    await this.inbox.discard(unmailed);
    return requests.length;
  }

  /** The users the identifiers name, in bulk where the store can. */
  private async resolve(identifiers: string[]): Promise<Map<string, PasswordResetUser>> {
    const found = new Map<string, PasswordResetUser>();
    const keep = (identifier: string, user: PasswordResetUser | null) => {
      if (user) found.set(identifier, user);
    };
    if (this.users.findManyByIdentifiers) {
      const users = await this.users.findManyByIdentifiers(identifiers);
      identifiers.forEach((identifier, index) => keep(identifier, users[index]));
    } else {
      await forEachConcurrently(identifiers, LOOKUP_CONCURRENCY, async (identifier) => keep(identifier, await this.users.findByIdentifier(identifier)));
    }
    return found;
  }

  private async queueMail(request: ResetRequest, userId: string): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      // Another instance may have taken the same row: whoever deletes it queues the mail.
      const { affected } = await manager.delete(ResetRequest, { id: request.id });
      if (affected === 1) await this.outbox.enqueue(manager, 'reset-password', userId);
    });
  }

  /**
   * Whether the account may get one more mail, counting it if so. The mails
   * already queued are counted once per user and batch, then the batch counts
   * down what it queues itself: a flood of requests for one account costs one
   * query per batch, not one per request.
   */
  private async takeFromAccountLimit(userId: string, allowances: Map<string, number>): Promise<boolean> {
    let allowance = allowances.get(userId);
    if (allowance === undefined) {
      const since = this.clock.now() - this.accountLimit.windowMs;
      allowance = this.accountLimit.max - (await this.outbox.countSince(userId, 'reset-password', since));
    }
    allowances.set(userId, allowance - 1);
    return allowance > 0;
  }
}
