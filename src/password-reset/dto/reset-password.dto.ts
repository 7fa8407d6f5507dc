import { IsDefined, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';

/** Bounds only what is read; the token's own checks say whether it is any good. */
export const MAX_TOKEN_LENGTH = 2048;
/** Far above the policy's maximum; longer input is refused before any work is done on it. */
const MAX_PASSWORD_INPUT_LENGTH = 4096;

export class CheckResetTokenDto {
  // Checked bottom-up, and only the first failure is reported.
  @MaxLength(MAX_TOKEN_LENGTH)
  @IsNotEmpty({ message: 'token must not be empty' })
  @IsString()
  @IsDefined({ message: 'token is required' })
  token: string;
}

export class ResetPasswordDto extends CheckResetTokenDto {
  @MaxLength(MAX_PASSWORD_INPUT_LENGTH)
  @IsString()
  @IsDefined({ message: 'password is required' })
  password: string;

  /** The password typed a second time; the form sends it, an API client may leave it out. */
  @MaxLength(MAX_PASSWORD_INPUT_LENGTH)
  @IsString()
  @IsOptional()
  passwordConfirmation?: string;
}
