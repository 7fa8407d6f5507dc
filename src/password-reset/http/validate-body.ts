import { HttpStatus } from '@nestjs/common';
import { ClassConstructor, plainToInstance } from 'class-transformer';
import { validate, ValidationError } from 'class-validator';
import { httpError } from './http-errors';
import { unsafeBodyReason } from './unsafe-body';

function messagesOf(errors: ValidationError[]): string[] {
  return errors.flatMap((error) => [...Object.values(error.constraints ?? {}), ...messagesOf(error.children ?? [])]);
}

/**
 * Strict validation of a body against the route's DTO: unknown fields are
 * refused, not dropped, and the error names the field in one plain sentence.
 * Keys such as `__proto__`, and nesting past two levels, are refused before
 * anything walks the body. No body is an empty one; an array is an object
 * whose fields are its indexes, all of them unknown.
 */
export async function validBody<T extends object>(type: ClassConstructor<T>, body: unknown): Promise<T> {
  const unsafe = unsafeBodyReason(body);
  if (unsafe) throw httpError(HttpStatus.BAD_REQUEST, 'invalid_body', `request body is malformed: ${unsafe}`);
  const instance = plainToInstance(type, Array.isArray(body) ? { ...body } : (body ?? {}));
  const errors = await validate(instance, {
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    stopAtFirstError: true,
    validationError: { target: false, value: false },
  });
  if (errors.length > 0) throw httpError(HttpStatus.BAD_REQUEST, 'invalid_request', messagesOf(errors).join('; ') || 'invalid request body');
  return instance;
}
