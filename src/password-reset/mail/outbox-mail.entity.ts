import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import {
  ExactText,
  PasswordResetEntity,
} from '../persistence/password-reset-entity';
import { EpochMsColumn } from '../epoch-ms.column';
import type { PasswordLinkPurpose } from '../links/password-link-purpose';
import { MAX_RETURN_ADDRESS_LENGTH } from '../links/return-address';

export type OutboxMailKind = 'reset-password' | 'password-changed';

/**
 * The order in which kinds go out, lowest first: the notice that a password
 * changed, its owner's only alarm, before every reset mail waiting.
 */
export const PRIORITY_OF: Record<OutboxMailKind, number> = {
  'password-changed': 0,
  'reset-password': 1,
};

/**
 * `pending` until a worker claims it, `sending` while one holds its lease
 * (until `next_attempt_at`; a lapsed lease makes it due again), then `pending`
 * again for a retry, `sent` once delivered, or `dead` after the last retry
 * (the dead-letter state an operator looks for). `unconfirmed`: an attempt to
 * send a reset link failed in a way that may have delivered it (the server
 * went silent after taking the message); it is not sent again with another
 * link, and the link it carried stays usable.
 */
export type OutboxMailStatus =
  'pending' | 'sending' | 'sent' | 'unconfirmed' | 'dead';

/** A mail the module has promised to deliver. Sent rows are kept as the per-account limit's history. */
@Entity('password_reset_outbox')
@Index(['status', 'priority', 'nextAttemptAt', 'id'])
@Index(['status', 'sentAt'])
@Index(['userId', 'kind', 'createdAt'])
export class OutboxMail extends PasswordResetEntity {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ type: 'varchar', length: 32 })
  kind: OutboxMailKind;

  /** `PRIORITY_OF` its kind; a row queued without one goes with the reset mails. */
  @Column({ type: 'smallint', default: 1 })
  priority: number;

  @ExactText()
  @Column({ name: 'user_id', type: 'varchar', length: 255 })
  userId: string;

  @EpochMsColumn('created_at')
  createdAt: number;

  @Column({ type: 'varchar', length: 16 })
  status: OutboxMailStatus;

  @Column({ type: 'int' })
  attempts: number;

  @EpochMsColumn('next_attempt_at')
  nextAttemptAt: number;

  @EpochMsColumn('sent_at', { nullable: true })
  sentAt: number | null;

  @Column({ name: 'last_error', type: 'varchar', length: 500, nullable: true })
  lastError: string | null;

  /** Of a reset mail: the checked return address its link carries, signed. */
  @Column({
    name: 'return_to',
    type: 'varchar',
    length: MAX_RETURN_ADDRESS_LENGTH,
    nullable: true,
  })
  returnTo: string | null;

  /** Of a reset mail: what its link is for. */
  @Column({
    name: 'link_purpose',
    type: 'varchar',
    length: 16,
    default: 'reset',
  })
  linkPurpose: PasswordLinkPurpose;

  /** Of a reset mail: the lifetime its link was given, or null for its purpose's default. */
  @EpochMsColumn('link_ttl_ms', { nullable: true })
  linkTtlMs: number | null;
}

/** Whom a mail goes to and, for a reset mail, what its link carries. */
export type MailToQueue = Pick<OutboxMail, 'userId'> &
  Partial<Pick<OutboxMail, 'returnTo' | 'linkPurpose' | 'linkTtlMs'>>;

/** The rows of mails of one kind, queued now: pending, due at once. */
export function newOutboxMails(
  kind: OutboxMailKind,
  now: number,
  mails: MailToQueue[],
): Omit<OutboxMail, 'id'>[] {
  return mails.map((mail) => ({
    kind,
    priority: PRIORITY_OF[kind],
    createdAt: now,
    status: 'pending',
    attempts: 0,
    nextAttemptAt: now,
    sentAt: null,
    lastError: null,
    returnTo: null,
    linkPurpose: 'reset',
    linkTtlMs: null,
    ...mail,
  }));
}
