import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { normaliseIdentifier } from '../password-reset/identifier';
import type { PasswordResetUser, PasswordResetUserStore } from '../password-reset/interfaces/password-reset-user-store.interface';
import { revokeLiveTokensOf } from '../password-reset/tokens/reset-token.service';
import { hashPassword, verifyPassword } from './password-hasher';
import { User } from './user.entity';

function toResetUser(user: User): PasswordResetUser {
  return { id: String(user.id), email: user.email, username: user.username };
}

/** The standalone server's users, and its implementation of the module's user store. */
@Injectable()
export class UsersService implements PasswordResetUserStore {
  constructor(@InjectRepository(User) private readonly users: Repository<User>) {}

  async add(username: string, email: string, password: string): Promise<User> {
    const name = normaliseIdentifier(username);
    const address = normaliseIdentifier(email);
    if (!name || name.includes('@')) throw new Error('a username must be non-empty and contain no @');
    if (!/^[^\s@]+@[^\s@]+$/.test(address)) throw new Error('an e-mail address needs one @ and no spaces');
    const user = this.users.create({ username: name, email: address, passwordHash: await hashPassword(password), createdAt: Date.now() });
    return this.users.save(user);
  }

  async verify(username: string, password: string): Promise<boolean> {
    const user = await this.users.findOneBy({ username: normaliseIdentifier(username) });
    return user !== null && verifyPassword(password, user.passwordHash);
  }

  list(): Promise<User[]> {
    return this.users.find({ order: { id: 'ASC' } });
  }

  async findByIdentifier(identifier: string): Promise<PasswordResetUser | null> {
    const user = await this.users.findOneBy(identifier.includes('@') ? { email: identifier } : { username: identifier });
    return user && toResetUser(user);
  }

  async findById(id: string): Promise<PasswordResetUser | null> {
    const numericId = Number(id);
    if (!Number.isSafeInteger(numericId)) return null;
    const user = await this.users.findOneBy({ id: numericId });
    return user && toResetUser(user);
  }

  /** Whatever changes a password, reset flow or CLI, also kills the user's outstanding reset links. */
  async setPassword(id: string, newPassword: string): Promise<void> {
    const passwordHash = await hashPassword(newPassword);
    await this.users.manager.transaction(async (manager) => {
      await manager.update(User, { id: Number(id) }, { passwordHash });
      await revokeLiveTokensOf(manager, id, Date.now());
    });
  }

  async setPasswordOf(username: string, newPassword: string): Promise<boolean> {
    const user = await this.users.findOneBy({ username: normaliseIdentifier(username) });
    if (!user) return false;
    await this.setPassword(String(user.id), newPassword);
    return true;
  }
}
