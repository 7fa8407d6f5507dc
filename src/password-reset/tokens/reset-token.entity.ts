import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import {
  ExactText,
  PasswordResetEntity,
} from '../persistence/password-reset-entity';
import { EpochMsColumn } from '../epoch-ms.column';
import type { PasswordLinkPurpose } from '../links/password-link-purpose';

/** One reset token. The raw value exists only in the mail; the table holds its SHA-256. */
@Entity('password_reset_tokens')
export class ResetToken extends PasswordResetEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Index()
  @ExactText()
  @Column({ name: 'user_id', type: 'varchar', length: 255 })
  userId: string;

  @Column({ name: 'token_hash', type: 'varchar', length: 64 })
  tokenHash: string;

  /** By the database's clock: it orders a user's tokens, whichever instance made them. */
  @EpochMsColumn('created_at')
  createdAt: number;

  @EpochMsColumn('expires_at')
  expiresAt: number;

  @EpochMsColumn('used_at', { nullable: true })
  usedAt: number | null;

  /** When the password this token set was stored; a used token without it is a reset in flight. */
  @EpochMsColumn('completed_at', { nullable: true })
  completedAt: number | null;

  @EpochMsColumn('revoked_at', { nullable: true })
  revokedAt: number | null;

  /** What the link is for; its JWT says the same (`purpose`), and both must agree. */
  @Column({ type: 'varchar', length: 16, default: 'reset' })
  purpose: PasswordLinkPurpose;

  /** Second-factor codes taken against this link and not given back (wrong ones). */
  @Column({ name: 'failed_second_factors', type: 'smallint', default: 0 })
  failedSecondFactors: number;

  /** The keyed hash of the reset code its mail carries (see ResetCodeHasher); null when codes are off. */
  @Column({ name: 'code_hash', type: 'varchar', length: 64, nullable: true })
  codeHash: string | null;

  /** Reset codes taken against this token and not given back (wrong ones). */
  @Column({ name: 'failed_codes', type: 'smallint', default: 0 })
  failedCodes: number;
}
