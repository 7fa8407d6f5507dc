import { IsDefined } from 'class-validator';
import { failureText } from '../http/validate-body';
import { ApiProperty } from '../openapi/optional-swagger';
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
}
