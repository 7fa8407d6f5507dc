import { AccountLock } from './account-limit/account-lock.entity';
import { OutboxMail } from './mail/outbox-mail.entity';
import { ResetRequest } from './requests/reset-request.entity';
import { ResetToken } from './tokens/reset-token.entity';

/** The module's tables; add them to the host's TypeORM entities (or use autoLoadEntities). */
export const PASSWORD_RESET_ENTITIES = [
  ResetToken,
  ResetRequest,
  OutboxMail,
  AccountLock,
];
