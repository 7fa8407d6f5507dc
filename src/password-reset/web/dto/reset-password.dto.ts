import {
  IsDefined,
  IsNotEmpty,
  IsOptional,
  IsString,
  MaxLength,
} from 'class-validator';
import { failureText } from '../http/validate-body';
import { MAX_IDENTIFIER_LENGTH } from '../../password-reset.constants';
import { IdentifierField } from './identifier-field';
import { ApiProperty, ApiPropertyOptional } from '../openapi/optional-swagger';

/** Bounds only what is read; the token's own checks say whether it is any good. */
export const MAX_TOKEN_LENGTH = 2048;
/** Far above the policy's maximum; longer input is refused before any work is done on it. */
const MAX_PASSWORD_INPUT_LENGTH = 4096;
/** Room for any TOTP or backup code. */
const MAX_SECOND_FACTOR_CODE_LENGTH = 64;

/** Room for the longest code (10 digits) and then some: a longer one is told apart from a wrong one. */
const MAX_RESET_CODE_INPUT_LENGTH = 64;

/** The link's token, or the mail's reset code with the username; `resetCredentialsOf` checks which. */
export class CheckResetTokenDto {
  @ApiPropertyOptional({
    description:
      'The `token` parameter of the link in the reset mail. Either this, or `username` and `code`',
    minLength: 1,
    maxLength: MAX_TOKEN_LENGTH,
  })
  // Checked bottom-up, and only the first failure is reported.
  @MaxLength(
    MAX_TOKEN_LENGTH,
    failureText('tooLong', { max: MAX_TOKEN_LENGTH }),
  )
  @IsNotEmpty(failureText('empty'))
  @IsString()
  @IsOptional()
  token?: string;

  @ApiPropertyOptional({
    description:
      'With `code`, instead of `token`: the username or e-mail address the reset was asked for with, matched as `lostPassword` matches it',
    minLength: 1,
    maxLength: MAX_IDENTIFIER_LENGTH,
  })
  @IdentifierField()
  @IsOptional()
  username?: string;

  @ApiPropertyOptional({
    description:
      'With `username`, instead of `token`, where the service sends reset codes (`code.digits`): the code in the reset mail, its digits only. A wrong code counts against the reset; after `code.attempts` of them the reset is dead, its link included',
    pattern: '^[0-9]{6,10}$',
  })
  @MaxLength(
    MAX_RESET_CODE_INPUT_LENGTH,
    failureText('tooLong', { max: MAX_RESET_CODE_INPUT_LENGTH }),
  )
  @IsNotEmpty(failureText('empty'))
  @IsString()
  @IsOptional()
  code?: string;
}

export class ResetPasswordDto extends CheckResetTokenDto {
  @ApiProperty({
    description:
      'The new password; the policy (by default 8 to 128 characters, not the username or address, not easily guessed) decides, and a refusal lists its reasons',
    maxLength: MAX_PASSWORD_INPUT_LENGTH,
  })
  @MaxLength(
    MAX_PASSWORD_INPUT_LENGTH,
    failureText('tooLong', { max: MAX_PASSWORD_INPUT_LENGTH }),
  )
  @IsString()
  @IsDefined(failureText('required'))
  password: string;

  /** The password typed a second time; the form sends it, an API client may leave it out. */
  @ApiPropertyOptional({
    description:
      'The same password again; when given, it must match (`password_mismatch`)',
    maxLength: MAX_PASSWORD_INPUT_LENGTH,
  })
  @MaxLength(
    MAX_PASSWORD_INPUT_LENGTH,
    failureText('tooLong', { max: MAX_PASSWORD_INPUT_LENGTH }),
  )
  @IsString()
  @IsOptional()
  passwordConfirmation?: string;

  @ApiPropertyOptional({
    description:
      'Needed for a user with a second factor (the check says `secondFactorRequired`): missing, `second_factor_required`; wrong, `invalid_second_factor`. Ignored for other users',
    maxLength: MAX_SECOND_FACTOR_CODE_LENGTH,
  })
  @MaxLength(
    MAX_SECOND_FACTOR_CODE_LENGTH,
    failureText('tooLong', { max: MAX_SECOND_FACTOR_CODE_LENGTH }),
  )
  @IsNotEmpty(failureText('empty'))
  @IsString()
  @IsOptional()
  secondFactorCode?: string;
}
