import { Body, Controller, HttpCode, Post, UnauthorizedException, UsePipes, ValidationPipe } from '@nestjs/common';
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
  async logIn(@Body() credentials: LoginDto): Promise<{ id: string }> {
    const user = await this.users.logIn(credentials);
    if (!user) throw new UnauthorizedException();
    return { id: user.id };
  }
}
