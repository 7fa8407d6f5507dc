import { ConfigurableModuleBuilder } from '@nestjs/common';
import type {
  ConfigurableModuleAsyncOptions,
  ConfigurableModuleCls,
} from '@nestjs/common';
import type { PasswordResetRoutesOptions } from './web/http/password-reset-paths';
import type { PasswordResetModuleOptions } from './interfaces/password-reset-module-options.interface';

/** Options of `forRoot`/`forRootAsync` read when the module is defined, beside the options the factory gives. */
export interface PasswordResetModuleExtras {
  /** Serve the HTML pages (`GET /auth/lostPassword`, `GET /auth/resetPassword`); off when the host has its own front end. */
  pages?: boolean;
  /** Where the routes are; defaults: the Tangerine365 API's `auth/lostPassword` and `auth/resetPassword`. Given here, not in `useFactory`, as Nest routes before factories run. */
  routes?: PasswordResetRoutesOptions;
  /**
   * Count in Prometheus' terms (needs `prom-client`) and export
   * `PasswordResetMetrics`, whose registry the host serves where only its
   * monitoring can read it: the module serves no metrics route, as the counts
   * would tell anyone reading them while sending requests which names have an account.
   */
  metrics?: boolean;
  /**
   * Class decorators put on each of the module's controllers, to fit them to
   * the host's global guards: `[Public(), SkipThrottle()]`.
   */
  decorators?: ClassDecorator[];
  /** Name of the TypeORM connection that holds the module's tables, as `TypeOrmModule.forRoot({ name })` gave it; default: the unnamed one. */
  dataSource?: string;
}

// Typed out because the inferred types would be emitted as `import("@nestjs/common", { with: ... })`, which TypeScript before 5.3 cannot read.
const definition: {
  ConfigurableModuleClass: ConfigurableModuleCls<
    PasswordResetModuleOptions,
    'forRoot',
    'create',
    PasswordResetModuleExtras
  >;
  MODULE_OPTIONS_TOKEN: string | symbol;
  OPTIONS_TYPE: PasswordResetModuleOptions & Partial<PasswordResetModuleExtras>;
  ASYNC_OPTIONS_TYPE: ConfigurableModuleAsyncOptions<
    PasswordResetModuleOptions,
    'create'
  > &
    Partial<PasswordResetModuleExtras>;
} = new ConfigurableModuleBuilder<PasswordResetModuleOptions>()
  .setClassMethodName('forRoot')
  // The module class makes its controllers and imports from the extras.
  .setExtras<PasswordResetModuleExtras>(
    {
      pages: false,
      routes: {},
      metrics: false,
      decorators: [],
      dataSource: undefined,
    },
    (definition) => definition,
  )
  .build();

export const {
  ConfigurableModuleClass: ConfigurablePasswordResetModule,
  MODULE_OPTIONS_TOKEN: PASSWORD_RESET_OPTIONS,
  OPTIONS_TYPE: PASSWORD_RESET_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: PASSWORD_RESET_ASYNC_OPTIONS_TYPE,
} = definition;
