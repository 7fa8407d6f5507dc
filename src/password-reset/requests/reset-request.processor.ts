import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type {
  PasswordResetUser,
  PasswordResetUserStore,
} from '../interfaces/password-reset-user-store.interface';
import { AccountLimitService } from '../account-limit/account-limit.service';
import { AuditTrail } from '../audit-trail';
import { forEachConcurrently } from '../concurrency';
import { claimTransaction, locksRows } from '../persistence/row-locks';
import { MailOutboxService } from '../mail/mail-outbox.service';
import type { MailToQueue } from '../mail/outbox-mail.entity';
import { PASSWORD_RESET_USER_STORE } from '../password-reset.constants';
import { ResetRequestInbox } from './reset-request-inbox.service';

/** Requests claimed together; one bulk lookup each. */
const BATCH_SIZE = 500;
/** Lookups at once for a store without `findManyByIdentifiers`. */
const LOOKUP_CONCURRENCY = 8;

type Writes = (manager: EntityManager) => Promise<void>;

interface ProcessedBatch {
  requests: number;
  /** One entry per reset mail queued, the per-account limit applied. */
  recipients: MailToQueue[];
}

/**
 * Turns recorded requests into queued reset mails, off the request path: this
 * is where it matters whether the user exists, and nobody is waiting for it.
 * A request for an unknown user, or for one over the per-account limit, is
 * simply deleted; either way the row that held what a stranger typed is gone.
 */
@Injectable()
export class ResetRequestProcessor {
  constructor(
    private readonly inbox: ResetRequestInbox,
    private readonly outbox: MailOutboxService,
    private readonly accountLimit: AccountLimitService,
    private readonly dataSource: DataSource,
    private readonly audit: AuditTrail,
    @Inject(PASSWORD_RESET_USER_STORE)
    private readonly users: PasswordResetUserStore,
  ) {}

  /**
   * Claims the oldest requests and turns them into mails; returns how many, so
   * the caller knows whether more wait. Where rows lock, it all happens in one
   * transaction that holds the claimed requests and the accounts until their
   * mails are queued and the requests deleted: other instances' workers skip
   * these requests, and a worker that dies lets go of them for another. On
   * SQLite only the writes share a transaction (see claimTransaction). Each
   * mail queued is announced once it is committed.
   */
  async processBatch(): Promise<number> {
    const batch = locksRows(this.dataSource)
      ? await claimTransaction(this.dataSource, (manager) =>
          this.process(manager, (writes) => writes(manager)),
        )
      : await this.process(this.dataSource.manager, (writes) =>
          this.dataSource.transaction(writes),
        );
    for (const { userId } of batch.recipients) this.audit.requested(userId);
    return batch.requests;
  }

  private async process(
    manager: EntityManager,
    commit: (writes: Writes) => Promise<void>,
  ): Promise<ProcessedBatch> {
    const requests = await this.inbox.claimOldest(manager, BATCH_SIZE);
    if (requests.length === 0) return { requests: 0, recipients: [] };
    const users = await this.resolve([
      ...new Set(requests.map((request) => request.identifier)),
    ]);
    const wanted = new Map<string, MailToQueue[]>();
    for (const request of requests) {
      const user = users.get(request.identifier);
      if (!user) continue;
      const mails = wanted.get(user.id) ?? [];
      mails.push({ userId: user.id, returnTo: request.returnTo });
      wanted.set(user.id, mails);
    }
    const allowed = await this.accountLimit.allowances(
      manager,
      new Map([...wanted].map(([userId, mails]) => [userId, mails.length])),
    );
    // The newest requests: the last mail's link is the one that works, with the return address asked for last.
    const recipients = [...wanted].flatMap(([userId, mails]) => {
      const count = allowed.get(userId)!;
      return count > 0 ? mails.slice(-count) : [];
    });
    await commit(async (writer) => {
      await this.outbox.enqueue(writer, 'reset-password', recipients);
      await this.inbox.discard(
        writer,
        requests.map((request) => request.id),
      );
    });
    return { requests: requests.length, recipients };
  }

  /** The users the identifiers name, in bulk where the store can. */
  private async resolve(
    identifiers: string[],
  ): Promise<Map<string, PasswordResetUser>> {
    const found = new Map<string, PasswordResetUser>();
    const keep = (identifier: string, user: PasswordResetUser | null) => {
      if (user) found.set(identifier, user);
    };
    if (this.users.findManyByIdentifiers) {
      const users = await this.users.findManyByIdentifiers(identifiers);
      identifiers.forEach((identifier, index) =>
        keep(identifier, users[index]),
      );
    } else {
      await forEachConcurrently(
        identifiers,
        LOOKUP_CONCURRENCY,
        async (identifier) =>
          keep(identifier, await this.users.findByIdentifier(identifier)),
      );
    }
    return found;
  }
}
