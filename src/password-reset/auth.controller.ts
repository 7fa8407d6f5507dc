import { Body, Controller, HttpCode, HttpStatus, Post, Req, Res, UseFilters, UseGuards, UsePipes } from '@nestjs/common';
import type { Request, Response } from 'express';
import { LostPasswordDto } from './dto/lost-password.dto';
import { CheckResetTokenDto, ResetPasswordDto } from './dto/reset-password.dto';
import { httpError, invalidToken } from './http/http-errors';
import { PasswordResetExceptionFilter } from './http/password-reset-exception.filter';
import { passwordResetValidationPipe } from './http/validation.pipe';
import { wantsHtml } from './http/wants-html';
import { renderPage } from './pages/password-reset-pages';
import { PasswordResetService } from './password-reset.service';
import { PasswordResetThrottlerGuard } from './throttling/password-reset-throttler.guard';

type Empty = Record<string, never>;

/** The JSON API; a browser's form post gets the matching page instead. */
@Controller('auth')
@UsePipes(passwordResetValidationPipe)
@UseFilters(PasswordResetExceptionFilter)
@UseGuards(PasswordResetThrottlerGuard)
export class AuthController {
  constructor(private readonly passwordReset: PasswordResetService) {}

  /** Always `200 {}` for a well-formed request: the answer never tells whether the user exists. */
  @Post('lostPassword')
  @HttpCode(HttpStatus.OK)
  async lostPassword(@Body() body: LostPasswordDto, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<Empty | string> {
    await this.passwordReset.requestReset(body.username);
    return wantsHtml(req) ? renderPage(res, 'lost-password-sent') : {};
  }

  @Post('resetPassword')
  @HttpCode(HttpStatus.OK)
  async resetPassword(@Body() body: ResetPasswordDto, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<Empty | string> {
    if (body.passwordConfirmation !== undefined && body.passwordConfirmation !== body.password) {
      throw httpError(HttpStatus.BAD_REQUEST, 'password_mismatch', 'the two passwords differ', ['the two passwords differ']);
    }
    await this.passwordReset.resetPassword(body.token, body.password);
    return wantsHtml(req) ? renderPage(res, 'reset-done') : {};
  }

  /** For a front end of the host's own: is the link still usable, and until when? Spends nothing. */
  @Post('resetPassword/check')
  @HttpCode(HttpStatus.OK)
  async checkResetToken(@Body() body: CheckResetTokenDto): Promise<{ usable: true; expiresAt: string }> {
    const expiresAt = await this.passwordReset.usableUntil(body.token);
    if (!expiresAt) throw invalidToken();
    return { usable: true, expiresAt: expiresAt.toISOString() };
  }
}
