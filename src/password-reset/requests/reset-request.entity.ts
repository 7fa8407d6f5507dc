import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import {
  ExactText,
  PasswordResetEntity,
} from '../persistence/password-reset-entity';
import { EpochMsColumn } from '../epoch-ms.column';
import { MAX_RETURN_ADDRESS_LENGTH } from '../links/return-address';

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

  /** The checked `returnTo` the request came with, for its link. */
  @Column({
    name: 'return_to',
    type: 'varchar',
    length: MAX_RETURN_ADDRESS_LENGTH,
    nullable: true,
  })
  returnTo: string | null;
}
