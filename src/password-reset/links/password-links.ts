import ms, { type StringValue } from 'ms';
import { DataSource, EntityManager, MoreThan } from 'typeorm';
import {
  lockAccount,
  resetMailsQueuedSince,
} from '../account-limit/account-limit';
import { text } from '../i18n/text';
import type { AccountLimit } from '../interfaces/password-reset-module-options.interface';
import { newOutboxMails, OutboxMail } from '../mail/outbox-mail.entity';
import { PasswordResetError } from '../password-reset.error';
import { claimTransaction } from '../persistence/row-locks';
import {
  PASSWORD_LINK_PURPOSES,
  type PasswordLinkPurpose,
} from './password-link-purpose';
import { checkedReturnTo, ReturnAddresses } from './return-address';

/** What `sendPasswordLink` takes besides the user. */
export interface PasswordLinkOptions {
  /** Default `reset`. An `invite` has its own mail and page wording and lives `inviteTtl`. */
  purpose?: PasswordLinkPurpose;
  /** The link's lifetime: milliseconds, or a string such as `30m`, `7d`. Default `tokenTtl`, or `inviteTtl` for an invite. */
  ttl?: number | string;
  /** Where to lead back to after the password is set, on `returnUrls`, as `lostPassword`'s `returnTo`. */
  returnTo?: string;
}

/** A link to queue, its options checked; `ttlMs` null for its purpose's default lifetime. */
export interface LinkToQueue {
  purpose: PasswordLinkPurpose;
  ttlMs: number | null;
  returnTo: string | null;
}

/** The options, checked: an unknown purpose, a lifetime that is not a positive duration, or a return address off the list is `invalid_request`. */
export function linkToQueue(
  options: PasswordLinkOptions,
  returnAddresses: ReturnAddresses,
): LinkToQueue {
  const { purpose = 'reset', ttl } = options;
  const returnTo = checkedReturnTo(returnAddresses, options.returnTo);
  if (!PASSWORD_LINK_PURPOSES.includes(purpose))
    throw new PasswordResetError(
      'invalid_request',
      text('errors.unknown_link_purpose', { purpose: String(purpose) }),
    );
  if (ttl === undefined) return { purpose, ttlMs: null, returnTo };
  const ttlMs = typeof ttl === 'number' ? ttl : ms(ttl as StringValue);
  if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0)
    throw new PasswordResetError(
      'invalid_request',
      text('errors.invalid_link_ttl', { ttl: String(ttl) }),
    );
  return { purpose, ttlMs, returnTo };
}

/**
 * Queues the mail of a link that host code or an operator asked for, counted
 * against the per-account limit as a requested one is. It is never dropped in
 * silence: over the limit nothing is queued and `account_limit` says when the
 * next may go. The mail is written first, then counted with the others (after
 * the account's lock, where rows lock), and taken back if it is one too many:
 * two processes queueing for one account at once both count both. On SQLite
 * that runs without a transaction (see claimTransaction), so taking it back
 * rolls back nothing else the process wrote meanwhile.
 */
export async function queuePasswordLink(
  dataSource: DataSource,
  now: number,
  limit: AccountLimit,
  userId: string,
  link: LinkToQueue,
): Promise<void> {
  await claimTransaction(dataSource, async (manager) => {
    await lockAccount(manager, userId);
    const { identifiers } = await manager.insert(
      OutboxMail,
      newOutboxMails('reset-password', now, [
        {
          userId,
          linkPurpose: link.purpose,
          linkTtlMs: link.ttlMs,
          returnTo: link.returnTo,
        },
      ]),
    );
    const since = now - limit.windowMs;
    if ((await resetMailsQueuedSince(manager, userId, since)) <= limit.max)
      return;
    const nextAt = await nextPlaceAt(manager, userId, since, limit);
    await manager.delete(OutboxMail, identifiers[0]);
    throw new PasswordResetError(
      'account_limit',
      text('errors.account_limit', {
        max: limit.max,
        nextAt: new Date(nextAt).toISOString(),
      }),
    );
  });
}

/** When the oldest of the mails that fill the limit leaves the window, and with it a place; the newest, just queued, is not among them. */
async function nextPlaceAt(
  manager: EntityManager,
  userId: string,
  since: number,
  limit: AccountLimit,
): Promise<number> {
  const inWindow = await manager.find(OutboxMail, {
    where: { userId, kind: 'reset-password', createdAt: MoreThan(since) },
    order: { createdAt: 'DESC', id: 'DESC' },
    take: limit.max + 1,
  });
  return inWindow[limit.max].createdAt + limit.windowMs;
}
