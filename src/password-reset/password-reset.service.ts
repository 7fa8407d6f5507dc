import { Injectable } from '@nestjs/common';
import { ResetRequestInbox } from './requests/reset-request-inbox.service';
import { ResetTokenService } from './tokens/reset-token.service';
import { PasswordResetWorker } from './password-reset.worker';

@Injectable()
export class PasswordResetService {
  constructor(
    private readonly inbox: ResetRequestInbox,
    private readonly worker: PasswordResetWorker,
    private readonly tokens: ResetTokenService,
  ) {}

  /**
   * Records that someone asked for a reset of `identifier` (already normalised)
   * and returns once that is committed. It does the same work whether or not
   * such a user exists; the worker finds out later.
   */
  async requestReset(identifier: string): Promise<void> {
    await this.inbox.record(identifier);
    this.worker.wake();
  }

  /** Kills every outstanding reset link of the user; call it when the password changes any other way. */
  revokeTokensOf(userId: string): Promise<void> {
    return this.tokens.revokeAllOf(userId);
  }
}
