import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import type { HttpRequest } from './http-request';
import { PasswordResetResponder } from './password-reset-responder';

/**
 * Errors thrown before a handler of the module's runs (its rate limit, a
 * guard of the host's) get the module's answers too: controller-scoped, this
 * filter comes before any global one of the host's.
 */
@Catch()
export class PasswordResetExceptionFilter implements ExceptionFilter {
  constructor(private readonly responder: PasswordResetResponder) {}

  catch(exception: unknown, host: ArgumentsHost): Promise<void> {
    const http = host.switchToHttp();
    return this.responder.sendError(http.getRequest<HttpRequest>(), http.getResponse(), exception);
  }
}
