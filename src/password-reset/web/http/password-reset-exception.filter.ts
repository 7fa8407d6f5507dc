import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import { PasswordResetError } from '../../password-reset.error';
import type { HttpRequest } from './http-request';
import { PasswordResetResponder } from './password-reset-responder';

/**
 * The module's own errors thrown before a handler of its runs (its rate
 * limit) get the module's answers too. Controller-scoped, this filter comes
 * before any global one of the host's, so it takes nothing else: what the
 * host's guards, throttlers and interceptors throw is the host's to answer.
 */
@Catch(PasswordResetError)
export class PasswordResetExceptionFilter implements ExceptionFilter {
  constructor(private readonly responder: PasswordResetResponder) {}

  catch(exception: PasswordResetError, host: ArgumentsHost): Promise<void> {
    const http = host.switchToHttp();
    return this.responder.sendError(
      http.getRequest<HttpRequest>(),
      http.getResponse(),
      exception,
    );
  }
}
