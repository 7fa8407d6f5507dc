import { ApiProperty, ApiPropertyOptional } from '../openapi/optional-swagger';
import type { PasswordResetErrorBody } from '../http/http-errors';

/** Every `code` the module answers with; clients branch on these, never on the message. */
export const PASSWORD_RESET_ERROR_CODES = [
  'invalid_request',
  'invalid_body',
  'invalid_token',
  'second_factor_required',
  'invalid_second_factor',
  'weak_password',
  'password_mismatch',
  'payload_too_large',
  'unsupported_media_type',
  'too_many_requests',
  'unavailable',
  'sessions_not_ended',
  'internal_error',
] as const;

export type PasswordResetErrorCode =
  (typeof PASSWORD_RESET_ERROR_CODES)[number];

/** The body of every error, as the OpenAPI document shows it. */
export class PasswordResetErrorResponse implements PasswordResetErrorBody {
  @ApiProperty({ example: 400 })
  statusCode: number;

  @ApiProperty({
    description: 'The HTTP reason phrase',
    example: 'Bad Request',
  })
  error: string;

  @ApiProperty({
    description:
      'One sentence a person can read, in the language of `Accept-Language`',
    example: 'username is required',
  })
  message: string;

  @ApiProperty({
    description: 'Stable and machine-readable',
    enum: PASSWORD_RESET_ERROR_CODES,
    example: 'invalid_request',
  })
  code: string;

  @ApiPropertyOptional({
    description:
      'What is wrong with the new password or the code (`weak_password`, `password_mismatch`, `second_factor_required`, `invalid_second_factor`)',
    type: [String],
  })
  reasons?: string[];
}
