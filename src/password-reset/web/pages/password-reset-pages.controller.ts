import {
  Controller,
  Get,
  HttpStatus,
  Req,
  Res,
  Type,
  UseFilters,
  VERSION_NEUTRAL,
} from '@nestjs/common';
import { MAX_TOKEN_LENGTH } from '../dto/reset-password.dto';
import type { HttpRequest } from '../http/http-request';
import { PasswordResetExceptionFilter } from '../http/password-reset-exception.filter';
import type { PasswordResetRoutes } from '../http/password-reset-paths';
import { PasswordResetResponder } from '../http/password-reset-responder';
import {
  ApiOperation,
  ApiProduces,
  ApiQuery,
  ApiResponse,
  ApiTags,
} from '../openapi/optional-swagger';
import { PasswordResetService } from '../../password-reset.service';
import { RateLimited } from '../throttling/rate-limited.decorator';
import { PasswordResetPages } from './password-reset-pages';

const HTML_PAGE = { 'text/html': { schema: { type: 'string' } } };

/**
 * The pages of the standalone server (`pages: true`), at the host's chosen
 * paths. Showing the form only reads the token: mail scanners and link
 * previews open links too.
 */
export function createPagesController(
  routes: PasswordResetRoutes,
): Type<unknown> {
  @ApiTags('password-reset')
  @ApiProduces('text/html')
  @Controller({ path: routes.prefix, version: VERSION_NEUTRAL })
  @UseFilters(PasswordResetExceptionFilter)
  class PasswordResetPagesController {
    constructor(
      private readonly passwordReset: PasswordResetService,
      private readonly responder: PasswordResetResponder,
      private readonly pages: PasswordResetPages,
    ) {}

    @Get(routes.lostPassword)
    @ApiOperation({
      operationId: 'lost-password-page',
      summary: 'Lost Password page',
      description:
        'An HTML form that asks for the username, in the language of `Accept-Language`.',
    })
    @ApiQuery({
      name: 'returnTo',
      required: false,
      description:
        'A return address for the form to post along, if `returnUrls` allows it; else left out',
    })
    @ApiResponse({
      status: HttpStatus.OK,
      description: 'The form',
      content: HTML_PAGE,
    })
    lostPasswordForm(
      @Req() req: HttpRequest,
      @Res() res: unknown,
    ): Promise<void> {
      return this.responder.respond(req, res, async () => {
        const returnTo = req.query?.returnTo;
        return this.pages.render(req, 'lost-password-form', 'lostPassword', {
          returnTo:
            typeof returnTo === 'string'
              ? this.passwordReset.allowedReturnTo(returnTo)
              : undefined,
        });
      });
    }

    @Get(routes.resetPassword)
    @RateLimited('resetPasswordPerMinute')
    @ApiOperation({
      operationId: 'reset-password-page',
      summary: 'Reset Password page',
      description:
        'Where the link in the mail leads: a form for the new password, or a page saying the link no longer works.',
    })
    @ApiQuery({
      name: 'token',
      required: true,
      description: 'The token of the reset link',
    })
    @ApiResponse({
      status: HttpStatus.OK,
      description: 'The form, or the "link no longer works" page',
      content: HTML_PAGE,
    })
    @ApiResponse({
      status: HttpStatus.TOO_MANY_REQUESTS,
      description: 'Past the per-IP limit; a page',
      content: HTML_PAGE,
      headers: {
        'Retry-After': {
          description: 'Seconds until this address may ask again',
          schema: { type: 'integer' },
        },
      },
    })
    @ApiResponse({
      status: HttpStatus.SERVICE_UNAVAILABLE,
      description: 'The database failed or did not answer in time; a page',
      content: HTML_PAGE,
    })
    resetForm(@Req() req: HttpRequest, @Res() res: unknown): Promise<void> {
      return this.responder.respond(req, res, async () => {
        const token = req.query?.token;
        const wellFormed =
          typeof token === 'string' && token.length <= MAX_TOKEN_LENGTH;
        const status = wellFormed
          ? await this.passwordReset.linkStatus(token)
          : null;
        if (!status)
          return this.pages.render(req, 'link-invalid', 'resetPassword');
        return this.pages.render(req, 'reset-form', 'resetPassword', {
          token,
          secondFactorRequired: status.secondFactorRequired,
          invite: status.purpose === 'invite',
        });
      });
    }
  }
  return PasswordResetPagesController;
}
