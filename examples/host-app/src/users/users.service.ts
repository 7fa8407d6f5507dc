import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { normaliseIdentifier } from 'nestjs-password-reset';
import { Repository } from 'typeorm';
import { LoginDto, SignUpDto } from './credentials.dto';
import { hashPassword, passwordMatches } from './passwords';
import { Session } from './session.entity';
import { User } from './user.entity';

@Injectable()
export class UsersService {
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    @InjectRepository(Session) private readonly sessions: Repository<Session>,
  ) {}

  async signUp({ username, email, password }: SignUpDto): Promise<User> {
    return this.users.save(
      this.users.create({
        username: normaliseIdentifier(username),
        email: normaliseIdentifier(email),
        passwordHash: await hashPassword(password),
      }),
    );
  }

  /** A new session of the user, or null when the credentials do not match. */
  async logIn({ username, password }: LoginDto): Promise<Session | null> {
    const user = await this.users.findOneBy({
      username: normaliseIdentifier(username),
    });
    if (!user || !(await passwordMatches(password, user.passwordHash)))
      return null;
    return this.sessions.save(
      this.sessions.create({
        id: randomBytes(32).toString('base64url'),
        userId: user.id,
      }),
    );
  }

  async sessionOf(id: string): Promise<Session | null> {
    return this.sessions.findOneBy({ id });
  }
}
