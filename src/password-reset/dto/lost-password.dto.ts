import { Transform } from 'class-transformer';
import { IsDefined, IsNotEmpty, IsString, Matches, MaxLength } from 'class-validator';
import { normaliseIdentifier } from '../identifier';
import { MAX_IDENTIFIER_LENGTH } from '../password-reset.constants';

export class LostPasswordDto {
  /** A username or an e-mail address. */
  @Transform(({ value }) => (typeof value === 'string' ? normaliseIdentifier(value) : value))
  // Checked bottom-up, and only the first failure is reported.
  @Matches(/^[^\p{Cc}]*$/u, { message: 'username must not contain control characters' })
  @MaxLength(MAX_IDENTIFIER_LENGTH)
  @IsNotEmpty({ message: 'username must not be empty or blank' })
  @IsString()
  @IsDefined({ message: 'username is required' })
  username: string;
}
