import { Transform } from 'class-transformer';
import { IsDefined, IsNotEmpty, IsString, Matches, ValidateBy } from 'class-validator';
import { fitsIdentifierColumn, normaliseIdentifier } from '../identifier';
import { MAX_IDENTIFIER_LENGTH } from '../password-reset.constants';

export class LostPasswordDto {
  /** A username or an e-mail address. */
  @Transform(({ value }) => (typeof value === 'string' ? normaliseIdentifier(value) : value))
  // Checked bottom-up, and only the first failure is reported.
  @Matches(/^[^\p{Cc}]*$/u, { message: 'username must not contain control characters' })
  @ValidateBy({
    name: 'fitsIdentifierColumn',
    validator: {
      validate: (value) => typeof value === 'string' && fitsIdentifierColumn(value),
      defaultMessage: () => `username must be at most ${MAX_IDENTIFIER_LENGTH} characters of valid Unicode`,
    },
  })
  @IsNotEmpty({ message: 'username must not be empty or blank' })
  @IsString()
  @IsDefined({ message: 'username is required' })
  username: string;
}
