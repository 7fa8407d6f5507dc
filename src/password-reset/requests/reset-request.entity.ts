import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import {
  ExactText,
  PasswordResetEntity,
} from '../persistence/password-reset-entity';
import { EpochMsColumn } from '../epoch-ms.column';

/**
 * "Someone asked for a reset of X at T": all the request path writes. The row
 * holds what a stranger typed, so the worker deletes it once processed.
 */
@Entity('password_reset_requests')
export class ResetRequest extends PasswordResetEntity {
  @PrimaryGeneratedColumn()
  id: number;

  @ExactText()
  @Column({ type: 'varchar', length: 254 })
  identifier: string;

  @EpochMsColumn('requested_at')
  requestedAt: number;
}
