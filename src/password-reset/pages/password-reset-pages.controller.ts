import { Controller, Get, Query, Res, UseFilters, UseGuards } from '@nestjs/common';
import type { Response } from 'express';
import { MAX_TOKEN_LENGTH } from '../dto/reset-password.dto';
import { PasswordResetExceptionFilter } from '../http/password-reset-exception.filter';
import { PasswordResetService } from '../password-reset.service';
import { PasswordResetThrottlerGuard } from '../throttling/password-reset-throttler.guard';
import { renderPage } from './password-reset-pages';

/**
 * The pages of the standalone server (`pages: true`). Showing the form only
 * reads the token: mail scanners and link previews open links too.
 */
@Controller('auth')
@UseFilters(PasswordResetExceptionFilter)
export class PasswordResetPagesController {
  constructor(private readonly passwordReset: PasswordResetService) {}

  @Get('lostPassword')
  lostPasswordForm(@Res({ passthrough: true }) res: Response): string {
    return renderPage(res, 'lost-password-form');
  }

  @Get('resetPassword')
  @UseGuards(PasswordResetThrottlerGuard)
  async resetForm(@Query('token') token: unknown, @Res({ passthrough: true }) res: Response): Promise<string> {
    const wellFormed = typeof token === 'string' && token.length <= MAX_TOKEN_LENGTH;
    const usable = wellFormed && (await this.passwordReset.usableUntil(token)) !== null;
    return usable ? renderPage(res, 'reset-form', { token }) : renderPage(res, 'link-invalid');
  }
}
