import type { DataSource, EntityManager } from 'typeorm';
import { systemClock } from '../clock';
import type { Clock } from '../clock';
import {
  revokeLiveTokensOf,
  revokeTokensAndAwaitResets,
} from './reset-token.service';

/** Where `revokeTokensOf` revokes: by default on its own, or inside the caller's transaction. */
export interface RevokeTokensOptions {
  /**
   * The manager of the transaction that stores the new password: the links
   * then die with that write, and nothing is waited for.
   */
  manager?: EntityManager;
}

/**
 * Revokes a user's reset links when the password changes any other way than
 * through a link. `PasswordResetService.revokeTokensOf` is this, on the
 * module's connection and clock. A program that does not mount the module (a
 * command-line tool run beside the servers, say) makes its own on a
 * DataSource that holds the module's tables.
 */
export class ResetTokenRevocation {
  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock = systemClock,
  ) {}

  /** See `PasswordResetService.revokeTokensOf`. */
  revokeTokensOf(
    userId: string,
    options: RevokeTokensOptions = {},
  ): Promise<void> {
    if (options.manager)
      return revokeLiveTokensOf(options.manager, userId, this.clock.now());
    return revokeTokensAndAwaitResets(
      this.dataSource.manager,
      userId,
      this.clock,
    );
  }
}
