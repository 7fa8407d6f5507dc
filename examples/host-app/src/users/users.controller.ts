import {
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  Post,
  UnauthorizedException,
  UsePipes,
  ValidationPipe,
} from '@nestjs/common';
import { LoginDto, SignUpDto } from './credentials.dto';
import { UsersService } from './users.service';

@Controller()
@UsePipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true }))
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Post('users')
  async signUp(@Body() form: SignUpDto): Promise<{ id: string }> {
    const { id } = await this.users.signUp(form);
    return { id };
  }

  @Post('login')
  @HttpCode(200)
  async logIn(
    @Body() credentials: LoginDto,
  ): Promise<{ id: string; session: string }> {
    const session = await this.users.logIn(credentials);
    if (!session) throw new UnauthorizedException();
    return { id: session.userId, session: session.id };
  }

  /** Who the session (`Authorization: Bearer <session>`) belongs to, while it lasts. */
  @Get('me')
  async me(
    @Headers('authorization') authorization = '',
  ): Promise<{ id: string }> {
    const session = await this.users.sessionOf(
      authorization.replace(/^Bearer /, ''),
    );
    if (!session) throw new UnauthorizedException();
    return { id: session.userId };
  }
}
