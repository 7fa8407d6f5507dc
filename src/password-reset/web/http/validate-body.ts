import { ClassConstructor, plainToInstance } from 'class-transformer';
import { validate, ValidationError, ValidationOptions } from 'class-validator';
import { Text, text } from '../../i18n/text';
import { PasswordResetError } from '../../password-reset.error';
import { unsafeBodyReason } from './unsafe-body';

/** The text a failed check of a DTO field is told with (a key of `validation`), and the values it needs besides the field's name. */
export function failureText(
  key: string,
  values: Record<string, unknown> = {},
): ValidationOptions {
  return { context: { text: `validation.${key}`, values } };
}

/** Texts of the checks whose decorators say none: class-validator's own. */
const BUILT_IN_FAILURES: Record<string, string> = {
  whitelistValidation: 'validation.unknownField',
  isString: 'validation.notString',
};

function textsOf(errors: ValidationError[]): Text[] {
  return errors.flatMap((error) => [
    ...Object.keys(error.constraints ?? {}).map((constraint) => {
      const context = error.contexts?.[constraint] as
        { text: string; values: Record<string, unknown> } | undefined;
      return text(
        context?.text ??
          BUILT_IN_FAILURES[constraint] ??
          'errors.invalid_request',
        { field: error.property, ...context?.values },
      );
    }),
    ...textsOf(error.children ?? []),
  ]);
}

/**
 * Strict validation of a body against the route's DTO: unknown fields are
 * refused, not dropped, and the error names the field in one plain sentence.
 * Keys such as `__proto__`, and nesting past two levels, are refused before
 * anything walks the body. No body is an empty one; an array is an object
 * whose fields are its indexes, all of them unknown.
 */
export async function validBody<T extends object>(
  type: ClassConstructor<T>,
  body: unknown,
): Promise<T> {
  const unsafe = unsafeBodyReason(body);
  if (unsafe)
    throw new PasswordResetError(
      'invalid_body',
      text('errors.malformed_body', { reason: unsafe }),
    );
  const instance = plainToInstance(
    type,
    Array.isArray(body) ? { ...body } : (body ?? {}),
  );
  const errors = await validate(instance, {
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    stopAtFirstError: true,
    validationError: { target: false, value: false },
  });
  if (errors.length > 0) {
    const texts = textsOf(errors);
    throw new PasswordResetError(
      'invalid_request',
      texts.length > 0 ? texts : [text('errors.invalid_request')],
    );
  }
  return instance;
}
