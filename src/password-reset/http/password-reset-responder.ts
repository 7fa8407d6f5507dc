import { HttpException, HttpStatus, Injectable, Logger } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { isDatabaseUnavailable } from '../database/database-errors';
import { PasswordResetMetrics } from '../metrics/password-reset-metrics';
import { Page, renderPage } from '../pages/password-reset-pages';
import { errorBody, PasswordResetErrorBody } from './http-errors';
import { HttpRequest, nodeRequestOf } from './http-request';
import { PasswordResetPaths, PasswordResetRoutes } from './password-reset-paths';
import { bodyOf } from './request-body';
import { wantsHtml } from './wants-html';

/** A JSON body, or a page. */
export type Answer = object | Page;

/**
 * The module's own errors carry their body; a database that failed or did not
 * answer in time is a 503 the client may retry; anything else is a plain 500.
 */
function errorBodyOf(exception: unknown): PasswordResetErrorBody {
  if (isDatabaseUnavailable(exception)) return errorBody(HttpStatus.SERVICE_UNAVAILABLE, 'unavailable', 'the service is unavailable just now; please try again');
  if (!(exception instanceof HttpException)) return errorBody(HttpStatus.INTERNAL_SERVER_ERROR, 'internal_error', 'internal error');
  const response = exception.getResponse();
  if (typeof response === 'object' && 'code' in response) return response as PasswordResetErrorBody;
  return errorBody(exception.getStatus(), 'http_error', exception.message);
}

/** The token of the reset form a browser posted, to show the form again. */
async function formTokenOf(request: HttpRequest): Promise<string | undefined> {
  try {
    const body = (await bodyOf(request)) as { token?: unknown } | undefined;
    return typeof body?.token === 'string' ? body.token : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Sends every answer of the module's routes itself, through Nest's HTTP
 * adapter, so that it is the same on either platform and nothing of the
 * host's (interceptors, serializers, filters) rewrites it.
 */
@Injectable()
export class PasswordResetResponder {
  private readonly logger = new Logger('PasswordReset');

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly paths: PasswordResetPaths,
    private readonly metrics: PasswordResetMetrics,
  ) {}

  /** Answers 200 with what `answer` makes, or the error it throws. */
  async respond(request: HttpRequest, response: unknown, answer: () => Promise<Answer>): Promise<void> {
    try {
      this.send(response, HttpStatus.OK, await answer());
      this.count(request, HttpStatus.OK);
    } catch (exception) {
      await this.sendError(request, response, exception);
    }
  }

  /**
   * JSON `{statusCode, error, message, code}` for API clients, a page for a
   * browser (its form posts, and the pages). Never a stack trace.
   */
  async sendError(request: HttpRequest, response: unknown, exception: unknown): Promise<void> {
    const body = errorBodyOf(exception);
    if (body.statusCode >= 500 && !(exception instanceof HttpException)) {
      // The message only: a failed statement's text and parameters stay out of the log.
      const reason = body.code === 'unavailable' ? 'Database unavailable' : 'Unexpected error';
      this.logger.error(`${reason}: ${exception instanceof Error ? exception.message : String(exception)}`);
    }
    // The pages are GET routes: their errors are pages too.
    const html = request.method === 'GET' || wantsHtml(request.headers);
    this.send(response, body.statusCode, html ? await this.errorPage(request, body) : body);
    this.count(request, body.statusCode, body.code);
  }

  /** Every answer of the two POST routes counts, refusals by the guard and the body reader included. */
  private count(request: HttpRequest, status: number, code?: string): void {
    if (request.method !== 'POST') return;
    // As the client sent it: the seed's `//auth/lostPassword` too.
    const route = this.paths.routeOf(nodeRequestOf(request).url?.replace(/^\/\//, '/'));
    if (route === PasswordResetRoutes.lostPassword) this.metrics.lostPasswordAnswered(status);
    if (route === PasswordResetRoutes.resetPassword) this.metrics.resetPasswordAnswered(status, code);
  }

  private async errorPage(request: HttpRequest, body: PasswordResetErrorBody): Promise<Page> {
    if (body.code === 'invalid_token') return renderPage('link-invalid');
    const token = body.reasons && (await formTokenOf(request));
    return token ? renderPage('reset-form', { token, reasons: body.reasons }) : renderPage('error', { message: body.message });
  }

  private send(response: unknown, status: HttpStatus, answer: Answer): void {
    const { httpAdapter } = this.adapterHost;
    // Answered already, and then a host's interceptor failed: the client has its answer.
    if (httpAdapter.isHeadersSent(response)) return;
    if (!(answer instanceof Page)) return httpAdapter.reply(response, answer, status);
    for (const [name, value] of Object.entries(answer.headers)) httpAdapter.setHeader(response, name, value);
    httpAdapter.reply(response, answer.html, status);
  }
}
