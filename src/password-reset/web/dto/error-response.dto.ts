import { ApiProperty, ApiPropertyOptional } from '../openapi/optional-swagger';
import {
  PASSWORD_RESET_ERROR_CODES,
  type PasswordResetErrorCode,
} from '../../password-reset.error';
import type { PasswordResetErrorBody } from '../http/error-answer';

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
  code: PasswordResetErrorCode;

  @ApiPropertyOptional({
    description:
      'What is wrong with the new password or the code (`weak_password`, `password_mismatch`, `second_factor_required`, `invalid_second_factor`)',
    type: [String],
  })
  reasons?: string[];
}
