import { join } from 'node:path';
import { InjectionToken, MiddlewareConsumer, Module, NestModule, Provider } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { HttpAdapterHost } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { MailerOptions, MailerService } from '@nestjs-modules/mailer';
import { HandlebarsAdapter } from '@nestjs-modules/mailer/adapters/handlebars.adapter';
import { AuthController } from './auth.controller';
import { systemClock } from './clock';
import { BodyParserMiddleware } from './http/body-parser.middleware';
import { collapseLeadingSlashes } from './http/collapse-leading-slashes.middleware';
import type { PasswordResetModuleOptions } from './interfaces/password-reset-module-options.interface';
import { MailOutboxService } from './mail/mail-outbox.service';
import { PASSWORD_RESET_CLOCK, PASSWORD_RESET_JWT, PASSWORD_RESET_USER_STORE } from './password-reset.constants';
import { PASSWORD_RESET_ENTITIES } from './password-reset.entities';
import { ConfigurablePasswordResetModule, PASSWORD_RESET_OPTIONS } from './password-reset.module-definition';
import { PasswordResetService } from './password-reset.service';
import { PasswordResetWorker } from './password-reset.worker';
import { ResetRequestInbox } from './requests/reset-request-inbox.service';
import { ResetRequestProcessor } from './requests/reset-request.processor';
import { ResetTokenService } from './tokens/reset-token.service';
import { ResetTokenSettings } from './tokens/reset-token.settings';

function fromOptions(provide: InjectionToken, build: (options: PasswordResetModuleOptions) => unknown): Provider {
  return { provide, useFactory: build, inject: [PASSWORD_RESET_OPTIONS] };
}

function mailerOptions(options: PasswordResetModuleOptions): MailerOptions {
  return {
    transport: options.mail.transport,
    defaults: { from: options.mail.from } as MailerOptions['defaults'],
    verifyTransporters: false,
    template: {
      dir: join(__dirname, 'mail', 'templates'),
      adapter: new HandlebarsAdapter(undefined, { inlineCssEnabled: false }),
      options: { strict: true },
    },
  };
}

/**
 * The forgot-my-password flow for a Nest application. Its services talk to
 * their own mailer and JwtService instances, so a host's own ones are untouched.
 */
@Module({
  imports: [TypeOrmModule.forFeature(PASSWORD_RESET_ENTITIES)],
  controllers: [AuthController],
  providers: [
    fromOptions(PASSWORD_RESET_CLOCK, (options) => options.clock ?? systemClock),
    fromOptions(PASSWORD_RESET_USER_STORE, (options) => options.userStore),
    fromOptions(PASSWORD_RESET_JWT, (options) => new JwtService({ secret: options.jwtSecret, signOptions: { algorithm: 'HS256' } })),
    fromOptions(ResetTokenSettings, (options) => new ResetTokenSettings(options.tokenTtl)),
    // Given no transport factory, the mailer makes its own from the options.
    fromOptions(MailerService, (options) => new MailerService(mailerOptions(options), undefined as never)),
    ResetTokenService,
    ResetRequestInbox,
    ResetRequestProcessor,
    MailOutboxService,
    PasswordResetWorker,
    PasswordResetService,
  ],
  exports: [PasswordResetService],
})
export class PasswordResetModule extends ConfigurablePasswordResetModule implements NestModule {
  constructor(private readonly adapterHost: HttpAdapterHost) {
    super();
  }

  configure(consumer: MiddlewareConsumer): void {
    // Registered ahead of every route, so that the seed's `//auth/...` URLs reach them.
    this.adapterHost.httpAdapter.use(collapseLeadingSlashes);
    consumer.apply(BodyParserMiddleware).forRoutes(AuthController);
  }
}
