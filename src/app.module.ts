import { DynamicModule, Module } from '@nestjs/common';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { StandaloneSettings } from './config/standalone-settings';
import { databaseOptions } from './database/database-options';
import { HealthModule } from './health/health.module';
import type { PasswordResetModuleOptions } from './password-reset/interfaces/password-reset-module-options.interface';
import { PasswordResetModule } from './password-reset/password-reset.module';
import { UsersModule } from './users/users.module';
import { UsersService } from './users/users.service';

/** The standalone server: the module, with its own users table as the user store. */
@Module({})
export class AppModule {
  static forSettings(settings: StandaloneSettings, overrides: Partial<PasswordResetModuleOptions> = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        TypeOrmModule.forRoot(databaseOptions(settings.databaseUrl)),
        UsersModule,
        HealthModule,
        EventEmitterModule.forRoot(),
        PasswordResetModule.forRootAsync({
          pages: true,
          imports: [UsersModule],
          inject: [UsersService],
          useFactory: (users: UsersService) => ({
            userStore: users,
            jwtSecret: settings.jwtSecret,
            resetUrl: settings.resetUrl,
            tokenTtl: settings.tokenTtl,
            mail: { transport: settings.mailTransport, from: settings.mailFrom },
            ...overrides,
          }),
        }),
      ],
    };
  }
}
