/*
 * The flow, by file (under src/password-reset/):
 *
 * A request: a route (web/) → password-reset.service.ts `requestReset` →
 *   requests/reset-request-inbox.service.ts (one batched INSERT; the answer).
 * The worker, mail/password-reset.worker.ts, on its timer:
 *   requests/reset-request.processor.ts (the user store's lookup, account-limit/)
 *   → mail/mail-outbox.service.ts (a queued mail, claimed under a lease)
 *   → mail/mail-delivery.service.ts: tokens/reset-token.service.ts makes the
 *   link, mail/mail-composer.ts the mail (rendering/, i18n/),
 *   mail/password-reset-mailer.ts sends it.
 * A reset: a route (web/) → password-reset.service.ts `resetPassword` → tokens/
 *   (verified) → password-policy/ → tokens/ (spent) → the user store's
 *   `setPassword` → the other links revoked, the notice queued → the user
 *   store's `endSessions` and the host's listeners (host-event-emitter.ts).
 * Options: options/resolve-options.ts, with options/password-reset-defaults.ts.
 */
import { createSecretKey } from 'node:crypto';
import {
  applyDecorators,
  DynamicModule,
  InjectionToken,
  Module,
  Provider,
  Type,
} from '@nestjs/common';
import { DataSource } from 'typeorm';
import { JwtService } from '@nestjs/jwt';
import { HttpAdapterHost } from '@nestjs/core';
import { ThrottlerStorageService } from '@nestjs/throttler';
import {
  getDataSourceToken,
  getRepositoryToken,
  TypeOrmModule,
} from '@nestjs/typeorm';
import { AccountLimitService } from './account-limit/account-limit.service';
import { AuditTrail } from './audit-trail';
import { createAuthController } from './web/auth.controller';
import { HostEvents } from './host-event-emitter';
import { readBodiesBeforeTheHost } from './web/http/body-reading-hooks';
import {
  PASSWORD_RESET_ROUTES,
  PasswordResetPaths,
  resolveRoutes,
} from './web/http/password-reset-paths';
import { PasswordResetTranslator } from './i18n/password-reset-translator';
import { PasswordResetResponder } from './web/http/password-reset-responder';
import { MailComposer } from './mail/mail-composer';
import { MailDeliveryService } from './mail/mail-delivery.service';
import { MailOutboxService } from './mail/mail-outbox.service';
import { PasswordResetMailQueue } from './mail/mail-queue';
import { PasswordResetMetrics } from './metrics/password-reset-metrics';
import type { Clock } from './clock';
import { PasswordResetMailer } from './mail/password-reset-mailer';
import {
  PASSWORD_RESET_CLOCK,
  PASSWORD_RESET_JWT,
  PASSWORD_RESET_RESOLVED_OPTIONS,
  PASSWORD_RESET_THROTTLER_STORAGE,
  PASSWORD_RESET_USER_STORE,
} from './password-reset.constants';
import { PasswordResetThrottlerGuard } from './web/throttling/password-reset-throttler.guard';
import { PasswordResetSchemaCheck } from './persistence/schema-check';
import { PASSWORD_RESET_ENTITIES } from './password-reset.entities';
import {
  ConfigurablePasswordResetModule,
  PASSWORD_RESET_ASYNC_OPTIONS_TYPE,
  PASSWORD_RESET_OPTIONS,
  PASSWORD_RESET_OPTIONS_TYPE,
  PasswordResetModuleExtras,
} from './password-reset.module-definition';
import { createPagesController } from './web/pages/password-reset-pages.controller';
import { PasswordResetPages } from './web/pages/password-reset-pages';
import { PasswordResetTemplates } from './rendering/password-reset-templates';
import { PasswordResetService } from './password-reset.service';
import { PasswordResetWorker } from './mail/password-reset.worker';
import { ResetRequestInbox } from './requests/reset-request-inbox.service';
import { ResetRequestProcessor } from './requests/reset-request.processor';
import { ResetTokenService } from './tokens/reset-token.service';
import { ResetTokenRevocation } from './tokens/reset-token-revocation';
import { PasswordPolicyService } from './password-policy/password-policy.service';
import { StrengthEstimator } from './password-policy/strength-estimator';
import { BreachedPasswords } from './password-policy/breached-passwords';
import {
  resolveOptions,
  ResolvedPasswordResetOptions,
} from './options/resolve-options';

function fromOptions(
  provide: InjectionToken,
  build: (options: ResolvedPasswordResetOptions) => unknown,
): Provider {
  return {
    provide,
    useFactory: build,
    inject: [PASSWORD_RESET_RESOLVED_OPTIONS],
  };
}

/** prom-client is loaded only when metrics are on: hosts without it need not install it. */
function metricsProvider(enabled: boolean): Provider {
  return {
    provide: PasswordResetMetrics,
    inject: [PasswordResetMailQueue, PASSWORD_RESET_CLOCK],
    useFactory: (queue: PasswordResetMailQueue, clock: Clock) =>
      enabled
        ? PasswordResetMetrics.prometheus(() => queue.status(), clock)
        : PasswordResetMetrics.off(),
  };
}

/**
 * The module's tables on the host's named connection: its DataSource and
 * repositories under the tokens of the unnamed one, which the module's
 * providers inject, so that each of them follows the `dataSource` option.
 */
function connectionOf(dataSource: string | undefined): {
  imports: DynamicModule[];
  providers: Provider[];
} {
  const imports = [
    TypeOrmModule.forFeature(PASSWORD_RESET_ENTITIES, dataSource),
  ];
  if (getDataSourceToken(dataSource) === DataSource)
    return { imports, providers: [] };
  const providers = [
    { provide: DataSource, useExisting: getDataSourceToken(dataSource) },
    ...PASSWORD_RESET_ENTITIES.map((entity) => ({
      provide: getRepositoryToken(entity),
      useExisting: getRepositoryToken(entity, dataSource),
    })),
  ];
  return { imports, providers };
}

/**
 * Controllers at the host's paths (each module definition gets classes of its
 * own, as Nest reads routes from class metadata), decorated as the host asked,
 * on the module's connection, and metrics if asked for: exported for the host
 * to serve, as no route of the module's could know who may read them.
 */
function withExtras(
  definition: DynamicModule,
  extras: PasswordResetModuleExtras,
): DynamicModule {
  const routes = resolveRoutes(extras.routes);
  const controllers: Type<unknown>[] = [
    createAuthController(routes),
    ...(extras.pages ? [createPagesController(routes)] : []),
  ];
  const decorate = applyDecorators(...(extras.decorators ?? []));
  for (const controller of controllers) decorate(controller);
  const connection = connectionOf(extras.dataSource);
  const providers = [
    ...(definition.providers ?? []),
    ...connection.providers,
    { provide: PASSWORD_RESET_ROUTES, useValue: routes },
    metricsProvider(extras.metrics === true),
  ];
  const exports = [
    ...(definition.exports ?? []),
    ...(extras.metrics ? [PasswordResetMetrics] : []),
  ];
  return {
    ...definition,
    imports: [...(definition.imports ?? []), ...connection.imports],
    controllers,
    providers,
    exports,
  };
}

/**
 * The forgot-my-password flow for a Nest application. Its services talk to
 * their own nodemailer transport and JwtService, so a host's own ones are untouched.
 */
@Module({
  providers: [
    PasswordResetSchemaCheck,
    {
      provide: PASSWORD_RESET_RESOLVED_OPTIONS,
      useFactory: resolveOptions,
      inject: [PASSWORD_RESET_OPTIONS],
    },
    fromOptions(PASSWORD_RESET_CLOCK, (options) => options.clock),
    fromOptions(PASSWORD_RESET_USER_STORE, (options) => options.userStore),
    fromOptions(PASSWORD_RESET_JWT, (options) => {
      // Made once: given a string, jsonwebtoken tries to read it as a PEM key first, on every
      // signature and check, and that failed attempt costs more than the HMAC itself.
      const key = createSecretKey(Buffer.from(options.jwtSecret));
      return new JwtService({
        privateKey: key,
        publicKey: key,
        signOptions: { algorithm: 'HS256' },
      });
    }),
    PasswordResetMailer,
    fromOptions(
      PASSWORD_RESET_THROTTLER_STORAGE,
      // Made here, not in the defaults: Nest ends the module's own storage with the module.
      (options) => options.rateLimit.storage ?? new ThrottlerStorageService(),
    ),
    PasswordResetThrottlerGuard,
    PasswordResetPaths,
    PasswordResetTranslator,
    PasswordResetTemplates,
    PasswordResetPages,
    PasswordResetResponder,
    HostEvents,
    AuditTrail,
    StrengthEstimator,
    BreachedPasswords,
    PasswordPolicyService,
    ResetTokenService,
    {
      provide: ResetTokenRevocation,
      inject: [DataSource, PASSWORD_RESET_CLOCK],
      useFactory: (dataSource: DataSource, clock: Clock) =>
        new ResetTokenRevocation(dataSource, clock),
    },
    {
      provide: PasswordResetMailQueue,
      inject: [
        DataSource,
        PASSWORD_RESET_CLOCK,
        PASSWORD_RESET_RESOLVED_OPTIONS,
      ],
      useFactory: (
        dataSource: DataSource,
        clock: Clock,
        options: ResolvedPasswordResetOptions,
      ) =>
        new PasswordResetMailQueue(dataSource, {
          accountLimit: options.accountLimit,
          clock,
        }),
    },
    ResetRequestInbox,
    AccountLimitService,
    ResetRequestProcessor,
    MailOutboxService,
    MailComposer,
    MailDeliveryService,
    PasswordResetWorker,
    PasswordResetService,
  ],
  exports: [PasswordResetService, PasswordResetMailQueue],
})
export class PasswordResetModule extends ConfigurablePasswordResetModule {
  static forRoot(options: typeof PASSWORD_RESET_OPTIONS_TYPE): DynamicModule {
    return withExtras(super.forRoot(options), options);
  }

  static forRootAsync(
    options: typeof PASSWORD_RESET_ASYNC_OPTIONS_TYPE,
  ): DynamicModule {
    return withExtras(super.forRootAsync(options), options);
  }

  /**
   * The module reads the bodies of its routes before the host's parsers can,
   * from hooks added as soon as the HTTP adapter is there: while
   * `NestFactory.create()` runs, or at `createNestApplication()` of a testing
   * module, both before `app.init()` adds the host's parsers.
   */
  constructor(adapterHost: HttpAdapterHost, paths: PasswordResetPaths) {
    super();
    adapterHost.init$.subscribe(() => {
      // An application context without HTTP announces no adapter (null).
      if (adapterHost.httpAdapter)
        readBodiesBeforeTheHost(adapterHost.httpAdapter, paths);
    });
  }
}
