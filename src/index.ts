export { PasswordResetModule } from './password-reset/password-reset.module';
export { PasswordResetService } from './password-reset/password-reset.service';
export type {
  ResetOutcome,
  ResetStatus,
} from './password-reset/password-reset.service';
export { ResetTokenRevocation } from './password-reset/tokens/reset-token-revocation';
export type { RevokeTokensOptions } from './password-reset/tokens/reset-token-revocation';
export { PasswordResetMailQueue } from './password-reset/mail/mail-queue';
export type { PasswordLinkOptions } from './password-reset/links/password-links';
export type { PasswordLinkPurpose } from './password-reset/links/password-link-purpose';
export type {
  DeadMailRetry,
  MailQueueKindStatus,
  MailQueueStatus,
  RetrySkipReason,
} from './password-reset/mail/mail-queue';
export { PASSWORD_RESET_ENTITIES } from './password-reset/password-reset.entities';
export { PASSWORD_RESET_MIGRATIONS } from './password-reset/password-reset.migrations';
export { PasswordResetEvents } from './password-reset/password-reset.constants';
export {
  PasswordChangedEvent,
  PasswordResetMailFailedEvent,
  PasswordResetMailSentEvent,
  PasswordResetRefusedEvent,
  PasswordResetRequestedEvent,
} from './password-reset/password-reset.events';
export type {
  PasswordChangeChannel,
  PasswordResetRefusal,
} from './password-reset/password-reset.events';
export {
  fitsIdentifierColumn,
  normaliseIdentifier,
} from './password-reset/identifier';
export { EmlFileTransport } from './password-reset/mail/eml-file.transport';
export { PasswordResetMetrics } from './password-reset/metrics/password-reset-metrics';
export type { Clock } from './password-reset/clock';
export type { PasswordResetMailTransport } from './password-reset/mail/mail-transport';
export type {
  BreachedPasswordsOptions,
  DeliveryOptions,
  PasswordPolicyOptions,
  PasswordResetModuleOptions,
} from './password-reset/interfaces/password-reset-module-options.interface';
export type {
  PasswordResetSecondFactor,
  PasswordResetUser,
  PasswordResetUserStore,
} from './password-reset/interfaces/password-reset-user-store.interface';
export type { PasswordResetModuleExtras } from './password-reset/password-reset.module-definition';
export { passwordResetRoutes } from './password-reset/web/http/password-reset-paths';
export type { PasswordResetRoutesOptions } from './password-reset/web/http/password-reset-paths';
export type {
  MailTemplateName,
  PageName,
  PasswordResetTemplateContext,
  PasswordResetTemplateFile,
  PasswordResetTemplateFunction,
  PasswordResetTemplatesOptions,
} from './password-reset/interfaces/password-reset-templates.interface';
export { ENGLISH_MESSAGES } from './password-reset/i18n/messages.en';
export type {
  PasswordResetMessages,
  PasswordResetTranslation,
} from './password-reset/i18n/messages.en';
export {
  PASSWORD_RESET_ERROR_CODES,
  PasswordResetError,
} from './password-reset/password-reset.error';
export type { PasswordResetErrorCode } from './password-reset/password-reset.error';
export type { Text as PasswordResetText } from './password-reset/i18n/text';
export { PasswordResetErrorResponse } from './password-reset/web/dto/error-response.dto';
export { DropTimedOutConnections } from './password-reset/persistence/drop-timed-out-connections.subscriber';
export { StatementOnlyLogger } from './password-reset/persistence/statement-only-logger';
export { exactCollation } from './password-reset/migrations/exact-collation';
