import { Body, Controller, HttpCode, HttpStatus, Post, UsePipes } from '@nestjs/common';
import { LostPasswordDto } from './dto/lost-password.dto';
import { passwordResetValidationPipe } from './http/validation.pipe';
import { PasswordResetService } from './password-reset.service';

@Controller('auth')
@UsePipes(passwordResetValidationPipe)
export class AuthController {
  constructor(private readonly passwordReset: PasswordResetService) {}

  /** Always `200 {}` for a well-formed request: the answer never tells whether the user exists. */
  @Post('lostPassword')
  @HttpCode(HttpStatus.OK)
  async lostPassword(@Body() body: LostPasswordDto): Promise<Record<string, never>> {
    await this.passwordReset.requestReset(body.username);
    return {};
  }
}
