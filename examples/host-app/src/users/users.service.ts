import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { normaliseIdentifier } from 'nestjs-password-reset';
import { Repository } from 'typeorm';
import { LoginDto, SignUpDto } from './credentials.dto';
import { hashPassword, passwordMatches } from './passwords';
import { User } from './user.entity';

@Injectable()
export class UsersService {
  constructor(@InjectRepository(User) private readonly users: Repository<User>) {}

  async signUp({ username, email, password }: SignUpDto): Promise<User> {
    return this.users.save(
      this.users.create({ username: normaliseIdentifier(username), email: normaliseIdentifier(email), passwordHash: await hashPassword(password) }),
    );
  }

  async logIn({ username, password }: LoginDto): Promise<User | null> {
    const user = await this.users.findOneBy({ username: normaliseIdentifier(username) });
    return user && (await passwordMatches(password, user.passwordHash)) ? user : null;
  }
}
