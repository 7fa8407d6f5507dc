import { HttpStatus, ValidationError, ValidationPipe } from '@nestjs/common';
import { httpError } from './http-errors';

function messagesOf(errors: ValidationError[]): string[] {
  return errors.flatMap((error) => [
    ...Object.values(error.constraints ?? {}),
    ...messagesOf(error.children ?? []),
  ]);
}

/**
 * Strict DTO validation for the module's routes: unknown fields are refused,
 * not dropped, and the error names the field in one plain sentence.
 */
export const passwordResetValidationPipe = new ValidationPipe({
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
