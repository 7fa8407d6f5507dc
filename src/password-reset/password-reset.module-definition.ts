import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { PasswordResetRoutesOptions } from './http/password-reset-paths';
import type { PasswordResetModuleOptions } from './interfaces/password-reset-module-options.interface';

export interface PasswordResetModuleExtras {
  /** Serve the HTML pages (`GET /auth/lostPassword`, `GET /auth/resetPassword`); off when the host has its own front end. */
  pages?: boolean;
  /** Where the routes are; defaults: the seed's `auth/lostPassword` and `auth/resetPassword`. Given here, not in `useFactory`, as Nest routes before factories run. */
  routes?: PasswordResetRoutesOptions;
  /**
   * Serve `GET /metrics` in Prometheus text format (needs `prom-client`). Off
   * by default: a host usually has its own metrics endpoint and rules on who may read it.
   */
  metrics?: boolean;
  /**
   * Class decorators put on the controllers of the flow (not on `/metrics`),
   * to fit them to the host's global guards: `[Public(), SkipThrottle()]`.
   */
  decorators?: ClassDecorator[];
  /** Name of the TypeORM connection that holds the module's tables, as `TypeOrmModule.forRoot({ name })` gave it; default: the unnamed one. */
  dataSource?: string;
}

export const {
  ConfigurableModuleClass: ConfigurablePasswordResetModule,
  MODULE_OPTIONS_TOKEN: PASSWORD_RESET_OPTIONS,
  OPTIONS_TYPE: PASSWORD_RESET_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: PASSWORD_RESET_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<PasswordResetModuleOptions>()
  .setClassMethodName('forRoot')
  // The module class makes its controllers and imports from the extras.
  .setExtras<PasswordResetModuleExtras>({ pages: false, routes: {}, metrics: false, decorators: [], dataSource: undefined }, (definition) => definition)
  .build();
