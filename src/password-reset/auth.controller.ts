import { Controller, HttpStatus, Post, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { LostPasswordDto } from './dto/lost-password.dto';
import { CheckResetTokenDto, ResetPasswordDto } from './dto/reset-password.dto';
import { httpError, invalidToken } from './http/http-errors';
import type { HttpRequest } from './http/http-request';
import { PasswordResetExceptionFilter } from './http/password-reset-exception.filter';
import { AUTH_CONTROLLER_PATH, PasswordResetRoutes } from './http/password-reset-paths';
import { PasswordResetResponder } from './http/password-reset-responder';
import { bodyOf } from './http/request-body';
import { validBody } from './http/validate-body';
import { wantsHtml } from './http/wants-html';
import { renderPage } from './pages/password-reset-pages';
import { PasswordResetService } from './password-reset.service';
import { PasswordResetThrottlerGuard } from './throttling/password-reset-throttler.guard';

/**
 * The JSON API; a browser's form post gets the matching page instead. The
 * handlers take the request and the response themselves: Nest runs no pipe on
 * those, so a host's global pipes never see the module's input, and the
 * module reads, validates and answers on its own.
 */
@Controller(AUTH_CONTROLLER_PATH)
@UseFilters(PasswordResetExceptionFilter)
@UseGuards(PasswordResetThrottlerGuard)
export class AuthController {
  constructor(
    private readonly passwordReset: PasswordResetService,
    private readonly responder: PasswordResetResponder,
  ) {}

  /** Always `200 {}` for a well-formed request: the answer never tells whether the user exists. */
  @Post(PasswordResetRoutes.lostPassword)
  lostPassword(@Req() req: HttpRequest, @Res() res: unknown): Promise<void> {
    return this.responder.respond(req, res, async () => {
      const body = await validBody(LostPasswordDto, await bodyOf(req));
      await this.passwordReset.requestReset(body.username);
      return wantsHtml(req.headers) ? renderPage('lost-password-sent') : {};
    });
  }

  @Post(PasswordResetRoutes.resetPassword)
  resetPassword(@Req() req: HttpRequest, @Res() res: unknown): Promise<void> {
    return this.responder.respond(req, res, async () => {
      const body = await validBody(ResetPasswordDto, await bodyOf(req));
      if (body.passwordConfirmation !== undefined && body.passwordConfirmation !== body.password) {
        throw httpError(HttpStatus.BAD_REQUEST, 'password_mismatch', 'the two passwords differ', ['the two passwords differ']);
      }
      await this.passwordReset.resetPassword(body.token, body.password);
      return wantsHtml(req.headers) ? renderPage('reset-done') : {};
    });
  }

  /** For a front end of the host's own: is the link still usable, and until when? Spends nothing. */
  @Post(PasswordResetRoutes.checkResetToken)
  checkResetToken(@Req() req: HttpRequest, @Res() res: unknown): Promise<void> {
    return this.responder.respond(req, res, async () => {
      const body = await validBody(CheckResetTokenDto, await bodyOf(req));
      const expiresAt = await this.passwordReset.usableUntil(body.token);
      if (!expiresAt) throw invalidToken();
      return { usable: true, expiresAt: expiresAt.toISOString() };
    });
  }
}
