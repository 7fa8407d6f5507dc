import { STATUS_CODES } from 'node:http';
import { HttpException, HttpStatus } from '@nestjs/common';

/** Every error the module answers with has this body; `code` is stable for clients to branch on. */
export interface PasswordResetErrorBody {
  statusCode: number;
  error: string;
  message: string;
  code: string;
  reasons?: string[];
}

export function errorBody(status: HttpStatus, code: string, message: string): PasswordResetErrorBody {
  return { statusCode: status, error: STATUS_CODES[status] ?? 'Error', message, code };
}

export function httpError(status: HttpStatus, code: string, message: string, reasons?: string[]): HttpException {
  const body = errorBody(status, code, message);
  if (reasons) body.reasons = reasons;
  return new HttpException(body, status);
}

/** One code for a bad, expired, used or superseded token: which of them it was is nobody's business. */
export function invalidToken(): HttpException {
  return httpError(HttpStatus.BAD_REQUEST, 'invalid_token', 'this reset link is invalid, has expired or was already used');
}
