import { STATUS_CODES } from 'node:http';
import { HttpException, HttpStatus } from '@nestjs/common';
import { inEnglish } from '../../i18n/password-reset-translator';
import { Text, text } from '../../i18n/text';

/** Every error the module answers with has this body; `code` is stable for clients to branch on. */
export interface PasswordResetErrorBody {
  statusCode: number;
  error: string;
  message: string;
  code: string;
  reasons?: string[];
}

export function errorBody(
  status: HttpStatus,
  code: string,
  message: string,
): PasswordResetErrorBody {
  return {
    statusCode: status,
    error: STATUS_CODES[status] ?? 'Error',
    message,
    code,
  };
}

/** An error of the module's: its message and reasons are texts, told in the reader's language when answered. */
export class PasswordResetHttpError extends HttpException {
  constructor(
    status: HttpStatus,
    readonly code: string,
    /** Several texts (one per refused field) are told as one message, joined by `; `. */
    readonly messageText: Text | Text[],
    readonly reasonTexts?: Text[],
  ) {
    super(
      PasswordResetHttpError.bodyOf(
        status,
        code,
        messageText,
        reasonTexts,
        inEnglish,
      ),
      status,
    );
  }

  /** The body in the language `translate` speaks. */
  bodyIn(translate: (text: Text) => string): PasswordResetErrorBody {
    return PasswordResetHttpError.bodyOf(
      this.getStatus(),
      this.code,
      this.messageText,
      this.reasonTexts,
      translate,
    );
  }

  private static bodyOf(
    status: HttpStatus,
    code: string,
    message: Text | Text[],
    reasons: Text[] | undefined,
    translate: (text: Text) => string,
  ): PasswordResetErrorBody {
    const body = errorBody(
      status,
      code,
      [message].flat().map(translate).join('; '),
    );
    if (reasons) body.reasons = reasons.map(translate);
    return body;
  }
}

export function httpError(
  status: HttpStatus,
  code: string,
  message: Text | Text[],
  reasons?: Text[],
): PasswordResetHttpError {
  return new PasswordResetHttpError(status, code, message, reasons);
}

/** One code for a bad, expired, used or superseded token: which of them it was is nobody's business. */
export function invalidToken(): PasswordResetHttpError {
  return httpError(
    HttpStatus.BAD_REQUEST,
    'invalid_token',
    text('errors.invalid_token'),
  );
}
