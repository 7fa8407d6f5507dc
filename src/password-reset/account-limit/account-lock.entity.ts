import { Entity, PrimaryColumn } from 'typeorm';
import {
  ExactText,
  PasswordResetEntity,
} from '../persistence/password-reset-entity';

/**
 * One row per account that was sent a reset mail: the row whose lock makes
 * instances take turns at the per-account limit. It holds nothing else.
 */
@Entity('password_reset_account_locks')
export class AccountLock extends PasswordResetEntity {
  @ExactText()
  @PrimaryColumn({ name: 'user_id', type: 'varchar', length: 255 })
  userId: string;
}
