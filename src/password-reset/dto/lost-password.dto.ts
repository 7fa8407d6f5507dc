import { Transform } from 'class-transformer';
import { IsNotEmpty, IsString, Matches, MaxLength } from 'class-validator';
import { normaliseIdentifier } from '../identifier';
import { MAX_IDENTIFIER_LENGTH } from '../password-reset.constants';

export class LostPasswordDto {
  /** A username or an e-mail address. */
  @Transform(({ value }) => (typeof value === 'string' ? normaliseIdentifier(value) : value))
  @IsString()
  @IsNotEmpty({ message: 'username must not be empty or blank' })
  @MaxLength(MAX_IDENTIFIER_LENGTH)
  @Matches(/^[^\p{Cc}]*$/u, { message: 'username must not contain control characters' })
  username: string;
}
