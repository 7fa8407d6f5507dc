import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Session } from './session.entity';
import { User } from './user.entity';
import { UsersController } from './users.controller';
import { UsersResetStore } from './users-reset.store';
import { UsersService } from './users.service';

@Module({
  imports: [TypeOrmModule.forFeature([User, Session])],
  controllers: [UsersController],
  providers: [UsersService, UsersResetStore],
  exports: [UsersResetStore],
})
export class UsersModule {}
