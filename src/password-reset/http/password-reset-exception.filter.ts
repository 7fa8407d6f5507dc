import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { isDatabaseUnavailable } from '../database/database-errors';
import { renderPage } from '../pages/password-reset-pages';
import { errorBody, PasswordResetErrorBody } from './http-errors';
import { wantsHtml } from './wants-html';

/**
 * The module's own errors carry their body; a database that failed or did not
 * answer in time is a 503 the client may retry; anything else is a plain 500.
 */
function bodyOf(exception: unknown): PasswordResetErrorBody {
  if (isDatabaseUnavailable(exception)) return errorBody(HttpStatus.SERVICE_UNAVAILABLE, 'unavailable', 'the service is unavailable just now; please try again');
  if (!(exception instanceof HttpException)) return errorBody(HttpStatus.INTERNAL_SERVER_ERROR, 'internal_error', 'internal error');
  const response = exception.getResponse();
  if (typeof response === 'object' && 'code' in response) return response as PasswordResetErrorBody;
  return errorBody(exception.getStatus(), 'http_error', exception.message);
}

/**
 * Errors of the module's routes: JSON `{statusCode, error, message, code}` for
 * API clients, a page for a browser (its form posts, and the pages). Never a stack trace.
 */
@Catch()
export class PasswordResetExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('PasswordReset');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<Request>();
    const res = http.getResponse<Response>();
    const body = bodyOf(exception);
    if (body.statusCode >= 500 && !(exception instanceof HttpException)) {
      // The message only: a failed statement's text and parameters stay out of the log.
      const reason = body.code === 'unavailable' ? 'Database unavailable' : 'Unexpected error';
      this.logger.error(`${reason}: ${exception instanceof Error ? exception.message : String(exception)}`);
    }
    res.status(body.statusCode);
    // The pages are GET routes: their errors are pages too.
    if (req.method !== 'GET' && !wantsHtml(req)) {
      res.json(body);
      return;
    }
    const token = typeof req.body?.token === 'string' ? req.body.token : undefined;
    if (body.code === 'invalid_token') res.send(renderPage(res, 'link-invalid'));
    else if (body.reasons && token) res.send(renderPage(res, 'reset-form', { token, reasons: body.reasons }));
    else res.send(renderPage(res, 'error', { message: body.message }));
  }
}
