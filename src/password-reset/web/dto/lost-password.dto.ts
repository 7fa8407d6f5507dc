import { Transform } from 'class-transformer';
import {
  IsDefined,
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  ValidateBy,
} from 'class-validator';
import { failureText } from '../http/validate-body';
import { fitsIdentifierColumn, normaliseIdentifier } from '../../identifier';
import { MAX_RETURN_ADDRESS_LENGTH } from '../../links/return-address';
import { ApiProperty, ApiPropertyOptional } from '../openapi/optional-swagger';
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

  /** Checked against `returnUrls` by the service, the same whoever the user is. */
  @ApiPropertyOptional({
    description:
      'Where to lead back to after the reset: an absolute http(s) URL on the list of allowed return addresses (`returnUrls`, `RETURN_URLS`). It is carried signed in the link, and the reset answers it back (`{ "returnTo": … }`). Off the list, malformed, or with no list set: `400 invalid_request`',
    format: 'uri',
    maxLength: MAX_RETURN_ADDRESS_LENGTH,
  })
  @MaxLength(
    MAX_RETURN_ADDRESS_LENGTH,
    failureText('tooLong', { max: MAX_RETURN_ADDRESS_LENGTH }),
  )
  @IsString()
  @IsOptional()
  returnTo?: string;
}
