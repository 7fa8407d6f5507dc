import { STATUS_CODES } from 'node:http';
import { HttpStatus } from '@nestjs/common';
import type { Text } from '../../i18n/text';
import type {
  PasswordResetError,
  PasswordResetErrorCode,
} from '../../password-reset.error';

/** The HTTP status the module's routes answer each code with. */
export const HTTP_STATUS_OF: Record<PasswordResetErrorCode, HttpStatus> = {
  invalid_request: HttpStatus.BAD_REQUEST,
  invalid_body: HttpStatus.BAD_REQUEST,
  invalid_token: HttpStatus.BAD_REQUEST,
  second_factor_required: HttpStatus.BAD_REQUEST,
  invalid_second_factor: HttpStatus.BAD_REQUEST,
  weak_password: HttpStatus.BAD_REQUEST,
  password_mismatch: HttpStatus.BAD_REQUEST,
  payload_too_large: HttpStatus.PAYLOAD_TOO_LARGE,
  unsupported_media_type: HttpStatus.UNSUPPORTED_MEDIA_TYPE,
  too_many_requests: HttpStatus.TOO_MANY_REQUESTS,
  unavailable: HttpStatus.SERVICE_UNAVAILABLE,
  sessions_not_ended: HttpStatus.INTERNAL_SERVER_ERROR,
  unknown_user: HttpStatus.NOT_FOUND,
  account_limit: HttpStatus.TOO_MANY_REQUESTS,
  internal_error: HttpStatus.INTERNAL_SERVER_ERROR,
};

/** Every error the module answers with has this body; `code` is stable for clients to branch on. */
export interface PasswordResetErrorBody {
  statusCode: number;
  error: string;
  message: string;
  code: PasswordResetErrorCode;
  reasons?: string[];
}

/** The error's body, its texts in the language `translate` speaks. */
export function errorBody(
  error: PasswordResetError,
  translate: (text: Text) => string,
): PasswordResetErrorBody {
  const status = HTTP_STATUS_OF[error.code];
  const body: PasswordResetErrorBody = {
    statusCode: status,
    error: STATUS_CODES[status] ?? 'Error',
    message: error.messageIn(translate),
    code: error.code,
  };
  if (error.reasonTexts) body.reasons = error.reasonTexts.map(translate);
  return body;
}
