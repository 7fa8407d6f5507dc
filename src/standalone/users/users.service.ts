import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, Repository } from 'typeorm';
import { isEmail } from 'class-validator';
import {
  fitsIdentifierColumn,
  normaliseIdentifier,
  ResetTokenRevocation,
  type PasswordResetUser,
  type PasswordResetUserStore,
} from '../../index';
import {
  hashPassword,
  needsRehash,
  unusablePassword,
  verifyPassword,
} from './password-hasher';
import { User } from './user.entity';

function toResetUser(user: User): PasswordResetUser {
  return { id: String(user.id), email: user.email, username: user.username };
}

/** The standalone server's users, and its implementation of the module's user store. */
@Injectable()
export class UsersService implements PasswordResetUserStore {
  private readonly resetLinks: ResetTokenRevocation;

  /** Also outside the application, as the CLI uses it: the module's links are revoked on the same connection. */
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
  ) {
    this.resetLinks = new ResetTokenRevocation(users.manager.connection);
  }

  /** A user with this password, or with none that works (`null`: an invited user, who sets one through the invitation). */
  async add(
    username: string,
    email: string,
    password: string | null,
  ): Promise<User> {
    const name = normaliseIdentifier(username);
    const address = normaliseIdentifier(email);
    if (!name || name.includes('@') || !fitsIdentifierColumn(name))
      throw new Error(
        'a username must be non-empty, contain no @ and be at most 254 characters',
      );
    // A bare address only: a display name (`"x" <a@b>`) or a list would let mail go where the stored address does not say.
    if (!isEmail(address) || !fitsIdentifierColumn(address))
      throw new Error(
        'the e-mail address must be a single, bare address such as alice@example.com',
      );
    const user = this.users.create({
      username: name,
      email: address,
      passwordHash:
        password === null ? unusablePassword() : await hashPassword(password),
      createdAt: Date.now(),
    });
    return this.users.save(user);
  }

  /** Whether the password is this user's; a hash made with older parameters is made again with today's. */
  async verify(username: string, password: string): Promise<boolean> {
    const user = await this.users.findOneBy({
      username: normaliseIdentifier(username),
    });
    if (user === null || !(await verifyPassword(password, user.passwordHash)))
      return false;
    if (needsRehash(user.passwordHash)) {
      // Only where the old hash is still there: a password changed meanwhile stays.
      await this.users.update(
        { id: user.id, passwordHash: user.passwordHash },
        { passwordHash: await hashPassword(password) },
      );
    }
    return true;
  }

  /** The id of the user with this username, as the module knows it, or null. */
  async idOf(username: string): Promise<string | null> {
    const user = await this.users.findOneBy({
      username: normaliseIdentifier(username),
    });
    return user && String(user.id);
  }

  list(): Promise<User[]> {
    return this.users.find({ order: { id: 'ASC' } });
  }

  async findByIdentifier(
    identifier: string,
  ): Promise<PasswordResetUser | null> {
    const user = await this.users.findOneBy(
      identifier.includes('@')
        ? { email: identifier }
        : { username: identifier },
    );
    return user && toResetUser(user);
  }

  async findManyByIdentifiers(
    identifiers: string[],
  ): Promise<(PasswordResetUser | null)[]> {
    const emails = identifiers.filter((identifier) => identifier.includes('@'));
    const usernames = identifiers.filter(
      (identifier) => !identifier.includes('@'),
    );
    const where = [
      ...(emails.length ? [{ email: In(emails) }] : []),
      ...(usernames.length ? [{ username: In(usernames) }] : []),
    ];
    const users = where.length ? await this.users.find({ where }) : [];
    const byIdentifier = new Map(
      users.flatMap((user) => [
        [user.email, user] as const,
        [user.username, user] as const,
      ]),
    );
    return identifiers.map((identifier) => {
      const user = byIdentifier.get(identifier);
      return user ? toResetUser(user) : null;
    });
  }

  async findById(id: string): Promise<PasswordResetUser | null> {
    const numericId = Number(id);
    if (!Number.isSafeInteger(numericId)) return null;
    const user = await this.users.findOneBy({ id: numericId });
    return user && toResetUser(user);
  }

  /** The reset flow's way in: the module revokes the user's links itself once this returns. */
  async setPassword(id: string, newPassword: string): Promise<void> {
    const passwordHash = await hashPassword(newPassword);
    await this.users.update({ id: Number(id) }, { passwordHash });
  }

  /** The standalone server signs nobody in, so a reset has no sessions to end. */
  async endSessions(): Promise<void> {}

  /**
   * Any other password change (the CLI): hashed first, then every reset link
   * dies and a reset under way is waited for, so that this change is the one
   * that stays; links made in between die with the write.
   */
  async changePasswordOf(
    username: string,
    newPassword: string,
  ): Promise<boolean> {
    const user = await this.users.findOneBy({
      username: normaliseIdentifier(username),
    });
    if (!user) return false;
    const passwordHash = await hashPassword(newPassword);
    const id = String(user.id);
    await this.resetLinks.revokeTokensOf(id);
    await this.users.manager.transaction(async (manager) => {
      await manager.update(User, { id: user.id }, { passwordHash });
      await this.resetLinks.revokeTokensOf(id, { manager });
    });
    return true;
  }
}
