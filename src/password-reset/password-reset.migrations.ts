import { CreatePasswordResetTables1764201600000 } from './migrations/1764201600000-create-password-reset-tables';
import { TrackResetsInFlight1764806400000 } from './migrations/1764806400000-track-resets-in-flight';
import { LockAccounts1765411200000 } from './migrations/1765411200000-lock-accounts';
import { SendNoticesFirst1766016000000 } from './migrations/1766016000000-send-notices-first';
import { IndexSentMail1766102400000 } from './migrations/1766102400000-index-sent-mail';
import { CountSecondFactorAttempts1766188800000 } from './migrations/1766188800000-count-second-factor-attempts';
import { AddResetCodes1767000000000 } from './migrations/1767000000000-add-reset-codes';
import { CarryReturnAddresses1767100000000 } from './migrations/1767100000000-carry-return-addresses';
import { TellLinksApart1767100000001 } from './migrations/1767100000001-tell-links-apart';

/** The module's migrations, in order; add them to the host's DataSource `migrations`. */
export const PASSWORD_RESET_MIGRATIONS = [
  CreatePasswordResetTables1764201600000,
  TrackResetsInFlight1764806400000,
  LockAccounts1765411200000,
  SendNoticesFirst1766016000000,
  IndexSentMail1766102400000,
  CountSecondFactorAttempts1766188800000,
  AddResetCodes1767000000000,
  CarryReturnAddresses1767100000000,
  TellLinksApart1767100000001,
];
