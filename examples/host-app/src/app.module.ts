import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import {
  PASSWORD_RESET_ENTITIES,
  PASSWORD_RESET_MIGRATIONS,
  PasswordResetModule,
} from 'nestjs-password-reset';
import { CreateUsers1700000000000 } from './migrations/1700000000000-create-users';
import { CreateSessions1700000000001 } from './migrations/1700000000001-create-sessions';
import { Session } from './users/session.entity';
import { User } from './users/user.entity';
import { UsersModule } from './users/users.module';
import { UsersResetStore } from './users/users-reset.store';

@Module({
  imports: [
    TypeOrmModule.forRoot({
      type: 'better-sqlite3',
      database: process.env.DATABASE_PATH ?? 'host-app.sqlite',
      entities: [User, Session, ...PASSWORD_RESET_ENTITIES],
      migrations: [
        CreateUsers1700000000000,
        CreateSessions1700000000001,
        ...PASSWORD_RESET_MIGRATIONS,
      ],
      migrationsRun: true,
    }),
    UsersModule,
    PasswordResetModule.forRootAsync({
      imports: [UsersModule],
      inject: [UsersResetStore],
      useFactory: (users: UsersResetStore) => ({
        userStore: users,
        jwtSecret: process.env.RESET_JWT_SECRET!,
        resetUrl:
          process.env.RESET_URL ?? 'http://localhost:3000/reset-password',
        // With SMTP_URL unset, outside production, each mail is written as an .eml file under var/mail.
        mail: {
          transport: process.env.SMTP_URL,
          from: 'no-reply@example.com',
          productName: 'Host App',
        },
      }),
    }),
  ],
})
export class AppModule {}
