import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type {
  PasswordResetUser,
  PasswordResetUserStore,
} from 'nestjs-password-reset';
import { In, Repository } from 'typeorm';
import { hashPassword } from './passwords';
import { Session } from './session.entity';
import { User } from './user.entity';

function toResetUser({ id, email, username }: User): PasswordResetUser {
  return { id, email, username };
}

/** How the reset module finds this app's users, stores a new password and signs them out. Identifiers arrive normalised, as they are stored. */
@Injectable()
export class UsersResetStore implements PasswordResetUserStore {
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    @InjectRepository(Session) private readonly sessions: Repository<Session>,
  ) {}

  async findByIdentifier(
    identifier: string,
  ): Promise<PasswordResetUser | null> {
    const [user] = await this.findManyByIdentifiers([identifier]);
    return user;
  }

  // The module resolves queued requests in batches: one query for all of them.
  async findManyByIdentifiers(
    identifiers: string[],
  ): Promise<(PasswordResetUser | null)[]> {
    const users = await this.users.find({
      where: [{ username: In(identifiers) }, { email: In(identifiers) }],
    });
    const byIdentifier = new Map(
      users.flatMap((user) => [
        [user.username, user] as const,
        [user.email, user] as const,
      ]),
    );
    return identifiers.map((identifier) => {
      const user = byIdentifier.get(identifier);
      return user ? toResetUser(user) : null;
    });
  }

  async findById(id: string): Promise<PasswordResetUser | null> {
    const user = await this.users.findOneBy({ id });
    return user && toResetUser(user);
  }

  async setPassword(id: string, newPassword: string): Promise<void> {
    await this.users.update(id, {
      passwordHash: await hashPassword(newPassword),
    });
  }

  // Whoever reset the password may not be the only one signed in: after a reset, nobody is.
  async endSessions(id: string): Promise<void> {
    await this.sessions.delete({ userId: id });
  }
}
