import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Clock } from '../clock';
import type { PasswordResetModuleOptions } from '../interfaces/password-reset-module-options.interface';
import type { PasswordResetUserStore } from '../interfaces/password-reset-user-store.interface';
import { MailOutboxService } from '../mail/mail-outbox.service';
import { PASSWORD_RESET_CLOCK, PASSWORD_RESET_USER_STORE } from '../password-reset.constants';
import { PASSWORD_RESET_OPTIONS } from '../password-reset.module-definition';
import { ResetRequest } from './reset-request.entity';
import { ResetRequestInbox } from './reset-request-inbox.service';

export const DEFAULT_ACCOUNT_LIMIT = { max: 3, windowMs: 60 * 60 * 1000 };
const BATCH_SIZE = 100;

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
    const unmailed: number[] = [];
    for (const request of requests) {
      const user = await this.users.findByIdentifier(request.identifier);
      if (user && (await this.withinAccountLimit(user.id))) await this.queueMail(request, user.id);
      else unmailed.push(request.id);
      // Let waiting HTTP requests in between rows: a large batch must not stall the request path.
      await new Promise((resolve) => setImmediate(resolve));
    }
    await this.inbox.discard(unmailed);
    return requests.length;
  }

  private async queueMail(request: ResetRequest, userId: string): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      // Another instance may have taken the same row: whoever deletes it queues the mail.
      const { affected } = await manager.delete(ResetRequest, { id: request.id });
      if (affected === 1) await this.outbox.enqueue(manager, 'reset-password', userId);
    });
  }

  private async withinAccountLimit(userId: string): Promise<boolean> {
    const since = this.clock.now() - this.accountLimit.windowMs;
    return (await this.outbox.countSince(userId, 'reset-password', since)) < this.accountLimit.max;
  }
}
