import { HttpStatus, Injectable, Logger } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { isDatabaseUnavailable } from '../../persistence/database-errors';
import { PasswordResetTranslator } from '../../i18n/password-reset-translator';
import { text, Text } from '../../i18n/text';
import { PasswordResetMetrics } from '../../metrics/password-reset-metrics';
import { Page, PasswordResetPages } from '../pages/password-reset-pages';
import { PasswordResetError } from '../../password-reset.error';
import { PasswordResetService } from '../../password-reset.service';
import { errorBody, PasswordResetErrorBody } from './error-answer';
import { HttpRequest, nodeRequestOf } from './http-request';
import { PasswordResetPaths } from './password-reset-paths';
import { bodyOf } from './request-body';
import { wantsHtml } from './wants-html';

/** A JSON body, or a page. */
export type Answer = object | Page;

/**
 * The module's own errors carry their texts; a database that failed or did
 * not answer in time is `unavailable`, which the client may retry; anything
 * else, whatever threw it, is a plain `internal_error`.
 */
function moduleErrorOf(exception: unknown): PasswordResetError {
  if (isDatabaseUnavailable(exception))
    return new PasswordResetError(
      'unavailable',
      text('errors.database_unavailable'),
    );
  if (exception instanceof PasswordResetError) return exception;
  return new PasswordResetError(
    'internal_error',
    text('errors.internal_error'),
  );
}

interface PostedForm {
  token?: string;
  /** Set when it was the code form: what was typed as the username. */
  codeFormUsername?: string;
  hadSecondFactor: boolean;
}

/** What of the reset form (or the code form) a browser posted is needed to show it again. */
async function postedFormOf(request: HttpRequest): Promise<PostedForm> {
  const stringOr = (value: unknown) =>
    typeof value === 'string' ? value : undefined;
  try {
    const body = (await bodyOf(request)) as
      | {
          token?: unknown;
          username?: unknown;
          code?: unknown;
          secondFactorCode?: unknown;
        }
      | undefined;
    return {
      token: stringOr(body?.token),
      codeFormUsername:
        body?.code === undefined ? undefined : (stringOr(body.username) ?? ''),
      hadSecondFactor: body?.secondFactorCode !== undefined,
    };
  } catch {
    return { hadSecondFactor: false };
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
    private readonly pages: PasswordResetPages,
    private readonly paths: PasswordResetPaths,
    private readonly translator: PasswordResetTranslator,
    private readonly metrics: PasswordResetMetrics,
    private readonly passwordReset: PasswordResetService,
  ) {}

  /** Answers 200 with what `answer` makes, or the error it throws. */
  async respond(
    request: HttpRequest,
    response: unknown,
    answer: () => Promise<Answer>,
  ): Promise<void> {
    try {
      this.send(response, HttpStatus.OK, await answer());
      this.count(request, HttpStatus.OK);
    } catch (exception) {
      await this.sendError(request, response, exception);
    }
  }

  /**
   * JSON `{statusCode, error, message, code}` for API clients, a page for a
   * browser (its form posts, and the pages), the message in the language of
   * `Accept-Language`. Never a stack trace.
   */
  async sendError(
    request: HttpRequest,
    response: unknown,
    exception: unknown,
  ): Promise<void> {
    const error = moduleErrorOf(exception);
    if (error !== exception) {
      // The message only: a failed statement's text and parameters stay out of the log.
      const reason = isDatabaseUnavailable(exception)
        ? 'Database unavailable'
        : 'Unexpected error';
      this.logger.error(
        `${reason}: ${exception instanceof Error ? exception.message : String(exception)}`,
      );
    }
    const language = this.pages.languageOf(request);
    const body = errorBody(error, (message: Text) =>
      this.translator.translate(language, message),
    );
    // The pages are GET routes: their errors are pages too.
    const html = request.method === 'GET' || wantsHtml(request.headers);
    this.send(
      response,
      body.statusCode,
      html ? await this.errorPage(request, body) : body,
    );
    this.count(request, body.statusCode, body.code);
  }

  /** Every answer of the two POST routes counts, refusals by the guard and the body reader included. */
  private count(request: HttpRequest, status: number, code?: string): void {
    if (request.method !== 'POST') return;
    // As the client sent it: the Tangerine365 API's `//auth/lostPassword` too.
    const route = this.paths.routeOf(nodeRequestOf(request).url);
    if (route === 'lostPassword') this.metrics.lostPasswordAnswered(status);
    if (route === 'resetPassword')
      this.metrics.resetPasswordAnswered(status, code);
  }

  private async errorPage(
    request: HttpRequest,
    body: PasswordResetErrorBody,
  ): Promise<Page> {
    const route =
      this.paths.routeOf(nodeRequestOf(request).url) ?? 'resetPassword';
    const posted =
      request.method === 'POST' ? await postedFormOf(request) : undefined;
    // The code form again, saying what was wrong, a wrong code included: it was typed, not followed.
    if (posted?.codeFormUsername !== undefined && route === 'resetPassword')
      return this.pages.render(request, 'lost-password-sent', route, {
        username: posted.codeFormUsername,
        reasons: body.reasons ?? [body.message],
        secondFactorRequired:
          posted.hadSecondFactor || body.code === 'second_factor_required',
      });
    if (body.code === 'invalid_token')
      return this.pages.render(request, 'link-invalid', route);
    // A browser's `required` lets a blank username through: the form again, with what was wrong.
    if (body.code === 'invalid_request' && route === 'lostPassword')
      return this.pages.render(request, 'lost-password-form', route, {
        reasons: [body.message],
      });
    const form = body.reasons ? posted : undefined;
    if (!form?.token)
      return this.pages.render(request, 'error', route, {
        message: body.message,
      });
    const secondFactorRequired =
      form.hadSecondFactor || body.code === 'second_factor_required';
    // The link is still usable after a refused password: its purpose gives the form's wording.
    const link = await this.passwordReset
      .linkStatus(form.token)
      .catch(() => null);
    return this.pages.render(request, 'reset-form', route, {
      token: form.token,
      reasons: body.reasons,
      secondFactorRequired,
      invite: link?.purpose === 'invite',
    });
  }

  private send(response: unknown, status: HttpStatus, answer: Answer): void {
    const { httpAdapter } = this.adapterHost;
    // Answered already, and then a host's interceptor failed: the client has its answer.
    if (httpAdapter.isHeadersSent(response)) return;
    if (!(answer instanceof Page))
      return httpAdapter.reply(response, answer, status);
    for (const [name, value] of Object.entries(answer.headers))
      httpAdapter.setHeader(response, name, value);
    httpAdapter.reply(response, answer.html, status);
  }
}
