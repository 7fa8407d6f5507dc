import { ArgumentMetadata, HttpStatus, ValidationError, ValidationPipe } from '@nestjs/common';
import { httpError } from './http-errors';
import { unsafeBodyReason } from './unsafe-body';

function messagesOf(errors: ValidationError[]): string[] {
  return errors.flatMap((error) => [
    ...Object.values(error.constraints ?? {}),
    ...messagesOf(error.children ?? []),
  ]);
}

/**
 * Strict DTO validation for the module's routes: unknown fields are refused,
 * not dropped, and the error names the field in one plain sentence. A stock
 * ValidationPipe silently drops `__proto__` and friends; this one refuses them,
 * and deeply nested bodies, also in bodies that a host application's own parser read.
 */
class PasswordResetValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const unsafe = metadata.type === 'body' ? unsafeBodyReason(value) : undefined;
    if (unsafe) throw httpError(HttpStatus.BAD_REQUEST, 'invalid_body', `request body is malformed: ${unsafe}`);
    return super.transform(value, metadata);
  }
}

export const passwordResetValidationPipe = new PasswordResetValidationPipe({
  transform: true,
  whitelist: true,
  forbidNonWhitelisted: true,
  forbidUnknownValues: true,
  stopAtFirstError: true,
  validationError: { target: false, value: false },
  exceptionFactory: (errors) => {
    const messages = messagesOf(errors);
    return httpError(HttpStatus.BAD_REQUEST, 'invalid_request', messages.join('; ') || 'invalid request body');
  },
});
