import {
  Controller,
  HttpStatus,
  Inject,
  Post,
  Req,
  Res,
  Type,
  UseFilters,
  VERSION_NEUTRAL,
} from '@nestjs/common';
import { LostPasswordDto } from './dto/lost-password.dto';
import { CheckResetTokenDto, ResetPasswordDto } from './dto/reset-password.dto';
import { ResetDoneDto } from './dto/reset-done.dto';
import { ResetTokenStatusDto } from './dto/reset-token-status.dto';
import { ResetCredentials, resetCredentialsOf } from './dto/reset-credentials';
import type { ResolvedPasswordResetOptions } from '../options/resolve-options';
import { PASSWORD_RESET_RESOLVED_OPTIONS } from '../password-reset.constants';
import { invalidToken, PasswordResetError } from '../password-reset.error';
import type { HttpRequest } from './http/http-request';
import { text } from '../i18n/text';
import { PasswordResetExceptionFilter } from './http/password-reset-exception.filter';
import type { PasswordResetRoutes } from './http/password-reset-paths';
import { PasswordResetResponder } from './http/password-reset-responder';
import { bodyOf } from './http/request-body';
import { validBody } from './http/validate-body';
import { wantsHtml } from './http/wants-html';
import {
  ApiEmptyOkResponse,
  ApiErrorResponse,
  ApiErrorResponses,
  ApiFormOrJsonBody,
  ApiTokenOrCodeBody,
} from './openapi/api-docs.decorators';
import {
  ApiBody,
  ApiOperation,
  ApiResponse,
  ApiTags,
} from './openapi/optional-swagger';
import { PasswordResetPages } from './pages/password-reset-pages';
import { PasswordResetService } from '../password-reset.service';
import { RateLimited } from './throttling/rate-limited.decorator';

/** The Tangerine365 API document's description of `lostPassword`, so that a host's document says what that one does. */
const LOST_PASSWORD_DESCRIPTION = [
  'Initiates the password reset process for a user account.',
  'This endpoint accepts a user identifier (such as email or username) and sends a password reset link or token to the registered email address.',
  'Use this endpoint when a user forgets their password and needs to reset it.',
  'The answer is `200 {}` for every well-formed request, whether or not such a user exists. A form post that prefers `text/html` gets a page instead.',
].join('\n\n');

/**
 * The JSON API, at the host's chosen paths; a browser's form post gets the
 * matching page instead. The handlers take the request and the response
 * themselves: Nest runs no pipe on those, so a host's global pipes never see
 * the module's input, and the module reads, validates and answers on its own.
 */
export function createAuthController(
  routes: PasswordResetRoutes,
): Type<unknown> {
  @ApiTags('password-reset')
  @Controller({ path: routes.prefix, version: VERSION_NEUTRAL })
  @UseFilters(PasswordResetExceptionFilter)
  class AuthController {
    constructor(
      private readonly passwordReset: PasswordResetService,
      private readonly responder: PasswordResetResponder,
      private readonly pages: PasswordResetPages,
      @Inject(PASSWORD_RESET_RESOLVED_OPTIONS)
      private readonly options: Pick<ResolvedPasswordResetOptions, 'code'>,
    ) {}

    private credentialsOf(body: CheckResetTokenDto): ResetCredentials {
      return resetCredentialsOf(body, this.options.code.digits);
    }

    /** Always `200 {}` for a well-formed request: the answer never tells whether the user exists. */
    @Post(routes.lostPassword)
    @RateLimited('lostPasswordPerMinute')
    @ApiOperation({
      operationId: 'lost-password',
      summary: 'Lost Password',
      description: LOST_PASSWORD_DESCRIPTION,
    })
    @ApiFormOrJsonBody()
    @ApiBody({ type: LostPasswordDto })
    @ApiEmptyOkResponse()
    @ApiErrorResponses(['invalid_request', 'invalid_body'])
    lostPassword(@Req() req: HttpRequest, @Res() res: unknown): Promise<void> {
      return this.responder.respond(req, res, async () => {
        const body = await validBody(LostPasswordDto, await bodyOf(req));
        await this.passwordReset.requestReset(body.username, {
          returnTo: body.returnTo,
        });
        return wantsHtml(req.headers)
          ? this.pages.render(req, 'lost-password-sent', 'lostPassword', {
              username: body.username,
            })
          : {};
      });
    }

    @Post(routes.resetPassword)
    @RateLimited('resetPasswordPerMinute')
    @ApiOperation({
      operationId: 'reset-password',
      summary: 'Reset Password',
      description:
        "Sets a new password with the token of a reset link, or (where the service sends codes) with the username and the code of the reset mail; a wrong code counts against the reset, and after `code.attempts` of them the reset is dead, its link included. The link is spent, every other link of the user dies, a notice is mailed, and the user's sessions are ended (the user store's `endSessions`, the `password-changed` event) before the answer. A password that fails the policy, or that a configured breached-password service lists, is `weak_password` with its reasons, and the link stays usable.",
    })
    @ApiFormOrJsonBody()
    @ApiTokenOrCodeBody(ResetPasswordDto)
    @ApiResponse({
      status: HttpStatus.OK,
      description: 'The password was changed',
      type: ResetDoneDto,
    })
    @ApiErrorResponses(
      [
        'invalid_request',
        'invalid_body',
        'invalid_token',
        'second_factor_required',
        'invalid_second_factor',
        'weak_password',
        'password_mismatch',
      ],
      [
        ApiErrorResponse(
          HttpStatus.INTERNAL_SERVER_ERROR,
          "Only with `events.failRequestOnListenerError`: the password **was** changed and the link spent, but the user store's `endSessions` or a `password-changed` listener failed (`sessions_not_ended`)",
        ),
      ],
    )
    resetPassword(@Req() req: HttpRequest, @Res() res: unknown): Promise<void> {
      return this.responder.respond(req, res, async () => {
        const body = await validBody(ResetPasswordDto, await bodyOf(req));
        const credentials = this.credentialsOf(body);
        if (
          body.passwordConfirmation !== undefined &&
          body.passwordConfirmation !== body.password
        ) {
          const differ = text('errors.password_mismatch');
          throw new PasswordResetError('password_mismatch', differ, [differ]);
        }
        const { purpose, ...answer } =
          'token' in credentials
            ? await this.passwordReset.resetPassword(
                credentials.token,
                body.password,
                body.secondFactorCode,
              )
            : await this.passwordReset.resetPasswordWithCode(
                credentials.username,
                credentials.code,
                body.password,
                body.secondFactorCode,
              );
        return wantsHtml(req.headers)
          ? this.pages.render(req, 'reset-done', 'resetPassword', {
              ...answer,
              invite: purpose === 'invite',
            })
          : answer;
      });
    }

    /** For a front end of the host's own: is the link still usable, and until when? Spends nothing. */
    @Post(routes.checkResetToken)
    @RateLimited('resetPasswordPerMinute')
    @ApiOperation({
      operationId: 'check-reset-token',
      summary: 'Check a reset link',
      description:
        'Whether the token of a reset link (or the username and code of a reset mail) is still usable, until when, what it is for (`reset`, or `invite`: an invitation to set a first password), and whether the reset needs a second-factor code; spends nothing, except that a wrong code counts against the reset as it would in a reset.',
    })
    @ApiFormOrJsonBody()
    @ApiTokenOrCodeBody(CheckResetTokenDto)
    @ApiResponse({
      status: HttpStatus.OK,
      description: 'The link is usable',
      type: ResetTokenStatusDto,
    })
    @ApiErrorResponses(['invalid_request', 'invalid_body', 'invalid_token'])
    checkResetToken(
      @Req() req: HttpRequest,
      @Res() res: unknown,
    ): Promise<void> {
      return this.responder.respond(req, res, async () => {
        const body = await validBody(CheckResetTokenDto, await bodyOf(req));
        const credentials = this.credentialsOf(body);
        const status =
          'token' in credentials
            ? await this.passwordReset.linkStatus(credentials.token)
            : await this.passwordReset.codeStatus(
                credentials.username,
                credentials.code,
              );
        if (!status) throw invalidToken();
        return {
          usable: true,
          expiresAt: status.expiresAt.toISOString(),
          purpose: status.purpose,
          ...(status.secondFactorRequired && { secondFactorRequired: true }),
        };
      });
    }
  }
  return AuthController;
}
