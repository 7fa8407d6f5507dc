export { PasswordResetModule } from './password-reset/password-reset.module';
export { PasswordResetService } from './password-reset/password-reset.service';
export { PASSWORD_RESET_ENTITIES } from './password-reset/password-reset.entities';
export { PASSWORD_RESET_MIGRATIONS } from './password-reset/password-reset.migrations';
export { PasswordResetEvents } from './password-reset/password-reset.constants';
export { normaliseIdentifier } from './password-reset/identifier';
export type { Clock } from './password-reset/clock';
export type { PasswordResetModuleOptions, DeliveryOptions } from './password-reset/interfaces/password-reset-module-options.interface';
export type { PasswordResetUser, PasswordResetUserStore } from './password-reset/interfaces/password-reset-user-store.interface';
