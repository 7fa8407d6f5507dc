import { IsDefined, IsOptional, IsString, MaxLength } from 'class-validator';
import { failureText } from '../http/validate-body';
import { MAX_RETURN_ADDRESS_LENGTH } from '../../links/return-address';
import { ApiProperty, ApiPropertyOptional } from '../openapi/optional-swagger';
import { MAX_IDENTIFIER_LENGTH } from '../../password-reset.constants';
import { IdentifierField } from './identifier-field';

export class LostPasswordDto {
  /** A username or an e-mail address. */
  @ApiProperty({
    description:
      'Unique username to identify user, or the e-mail address stored for the user',
    minLength: 1,
    maxLength: MAX_IDENTIFIER_LENGTH,
  })
  @IdentifierField()
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
