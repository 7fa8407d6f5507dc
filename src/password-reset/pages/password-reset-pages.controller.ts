import { Controller, Get, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { MAX_TOKEN_LENGTH } from '../dto/reset-password.dto';
import type { HttpRequest } from '../http/http-request';
import { PasswordResetExceptionFilter } from '../http/password-reset-exception.filter';
import { AUTH_CONTROLLER_PATH, PasswordResetRoutes } from '../http/password-reset-paths';
import { PasswordResetResponder } from '../http/password-reset-responder';
import { PasswordResetService } from '../password-reset.service';
import { PasswordResetThrottlerGuard } from '../throttling/password-reset-throttler.guard';
import { renderPage } from './password-reset-pages';

/**
 * The pages of the standalone server (`pages: true`). Showing the form only
 * reads the token: mail scanners and link previews open links too.
 */
@Controller(AUTH_CONTROLLER_PATH)
@UseFilters(PasswordResetExceptionFilter)
export class PasswordResetPagesController {
  constructor(
    private readonly passwordReset: PasswordResetService,
    private readonly responder: PasswordResetResponder,
  ) {}

  @Get(PasswordResetRoutes.lostPassword)
  lostPasswordForm(@Req() req: HttpRequest, @Res() res: unknown): Promise<void> {
    return this.responder.respond(req, res, async () => renderPage('lost-password-form'));
  }

  @Get(PasswordResetRoutes.resetPassword)
  @UseGuards(PasswordResetThrottlerGuard)
  resetForm(@Req() req: HttpRequest, @Res() res: unknown): Promise<void> {
    return this.responder.respond(req, res, async () => {
      const token = req.query?.token;
      const wellFormed = typeof token === 'string' && token.length <= MAX_TOKEN_LENGTH;
      const usable = wellFormed && (await this.passwordReset.usableUntil(token)) !== null;
      return usable ? renderPage('reset-form', { token }) : renderPage('link-invalid');
    });
  }
}
