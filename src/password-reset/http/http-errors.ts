import { HttpException, HttpStatus } from '@nestjs/common';

/** Every error the module answers with has this body; `code` is stable for clients to branch on. */
export interface PasswordResetErrorBody {
  statusCode: number;
  error: string;
  message: string;
  code: string;
  reasons?: string[];
}

const reasonPhrases: Partial<Record<HttpStatus, string>> = {
  [HttpStatus.BAD_REQUEST]: 'Bad Request',
  [HttpStatus.PAYLOAD_TOO_LARGE]: 'Payload Too Large',
  [HttpStatus.UNSUPPORTED_MEDIA_TYPE]: 'Unsupported Media Type',
  [HttpStatus.SERVICE_UNAVAILABLE]: 'Service Unavailable',
};

export function httpError(status: HttpStatus, code: string, message: string, reasons?: string[]): HttpException {
  const body: PasswordResetErrorBody = { statusCode: status, error: reasonPhrases[status] ?? 'Error', message, code };
  if (reasons) body.reasons = reasons;
  return new HttpException(body, status);
}
