import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { PasswordResetModuleOptions } from './interfaces/password-reset-module-options.interface';

export const {
  ConfigurableModuleClass: ConfigurablePasswordResetModule,
  MODULE_OPTIONS_TOKEN: PASSWORD_RESET_OPTIONS,
  OPTIONS_TYPE: PASSWORD_RESET_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: PASSWORD_RESET_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<PasswordResetModuleOptions>().setClassMethodName('forRoot').build();
