import { Transform } from 'class-transformer';
import {
  IsDefined,
  IsNotEmpty,
  IsString,
  Matches,
  ValidateBy,
} from 'class-validator';
import { failureText } from '../http/validate-body';
import { fitsIdentifierColumn, normaliseIdentifier } from '../../identifier';
import { ApiProperty } from '../openapi/optional-swagger';
import { MAX_IDENTIFIER_LENGTH } from '../../password-reset.constants';

export class LostPasswordDto {
  /** A username or an e-mail address. */
  @ApiProperty({
    description:
      'Unique username to identify user, or the e-mail address stored for the user',
    minLength: 1,
    maxLength: MAX_IDENTIFIER_LENGTH,
  })
  @Transform(({ value }) =>
    typeof value === 'string' ? normaliseIdentifier(value) : value,
  )
  // Checked bottom-up, and only the first failure is reported.
  @Matches(/^[^\p{Cc}]*$/u, failureText('controlCharacters'))
  // Asynchronous because class-validator (0.15) passes on the context, and so the failure's text, only of an asynchronous custom check.
  @ValidateBy(
    {
      name: 'fitsIdentifierColumn',
      validator: {
        validate: async (value) =>
          typeof value === 'string' && fitsIdentifierColumn(value),
      },
    },
    failureText('identifierTooLong', { max: MAX_IDENTIFIER_LENGTH }),
  )
  @IsNotEmpty(failureText('blank'))
  @IsString()
  @IsDefined(failureText('required'))
  username: string;
}
