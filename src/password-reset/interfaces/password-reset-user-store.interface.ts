/** What the module needs to know of a user. */
export interface PasswordResetUser {
  /** The host's primary key, as a string. */
  id: string;
  /** The address stored for the user: the only place mail ever goes. */
  email: string;
  /** Shown in the mail and refused as a password. */
  username?: string;
  /** The user's language (`de`, `de-AT`): the mails are in it where the module has it, else in `defaultLanguage`. */
  locale?: string;
}

/** A second factor the user must prove before a reset sets the password. */
export interface PasswordResetSecondFactor {
  /** Whether the user has one; asked only for a usable link. */
  required(user: PasswordResetUser): Promise<boolean>;
  /** Whether `code` proves it (a TOTP code, a backup code). Cap the attempts here: the module only limits requests per IP. */
  verify(user: PasswordResetUser, code: string): Promise<boolean>;
}

/**
 * The one thing a host application implements to plug its users in.
 *
 * `findByIdentifier` receives the identifier already normalised (Unicode NFKC;
 * lower case when it is an e-mail address) and must compare it exactly, so that
 * look-alike characters never match another user.
 */
export interface PasswordResetUserStore {
  findByIdentifier(identifier: string): Promise<PasswordResetUser | null>;
  /**
   * Optional, and worth having: many identifiers in one query, answered in
   * the same order (null where there is no such user). The worker resolves
   * requests in batches, so a flood of requests for unknown names costs one
   * query per batch and does not delay a real user's mail. Without it the
   * worker calls `findByIdentifier` for each, a few at a time.
   */
  findManyByIdentifiers?(
    identifiers: string[],
  ): Promise<(PasswordResetUser | null)[]>;
  findById(id: string): Promise<PasswordResetUser | null>;
  /** Hash (with a slow KDF) and store the new password. */
  setPassword(id: string, newPassword: string): Promise<void>;
  /**
   * Optional, and what a host with sessions wants: end every session of the
   * user (sign them out everywhere). Called after a reset has stored the new
   * password and before the answer, so that whoever held the account is out
   * by the time the user is told. Without it, a `password-reset.password-changed`
   * listener does this; with neither, the module warns at start.
   */
  endSessions?(id: string): Promise<void>;
  /**
   * Optional: for users who have a second factor, a reset link alone does not
   * set the password; `POST …/resetPassword` also needs `secondFactorCode`.
   */
  secondFactor?: PasswordResetSecondFactor;
}
