import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { IsNotEmpty, IsString, Matches, ValidateBy } from 'class-validator';
import { failureText } from '../http/validate-body';
import { fitsIdentifierColumn, normaliseIdentifier } from '../../identifier';
import { MAX_IDENTIFIER_LENGTH } from '../../password-reset.constants';

/**
 * A username or e-mail address as a person types it: normalised as user
 * stores compare it, and refused when blank, with control characters, or
 * when no database could store it. The checks run in the order listed, and
 * only the first failure is reported; whether the field is required is the
 * DTO's to say.
 */
export function IdentifierField(): PropertyDecorator {
  return applyDecorators(
    IsString(),
    IsNotEmpty(failureText('blank')),
    // Asynchronous because class-validator (0.15) passes on the context, and so the failure's text, only of an asynchronous custom check.
    ValidateBy(
      {
        name: 'fitsIdentifierColumn',
        validator: {
          validate: async (value) =>
            typeof value === 'string' && fitsIdentifierColumn(value),
        },
      },
      failureText('identifierTooLong', { max: MAX_IDENTIFIER_LENGTH }),
    ),
    Matches(/^[^\p{Cc}]*$/u, failureText('controlCharacters')),
    Transform(({ value }) =>
      typeof value === 'string' ? normaliseIdentifier(value) : value,
    ),
  );
}
