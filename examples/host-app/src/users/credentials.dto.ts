import { IsEmail, IsString, Matches } from 'class-validator';

export class LoginDto {
  @IsString()
  username: string;

  @IsString()
  password: string;
}

export class SignUpDto {
  // The reset module takes an identifier with @ for an e-mail address.
  @Matches(/^[^@]+$/, { message: 'username must not contain @' })
  username: string;

  @IsEmail()
  email: string;

  @IsString()
  password: string;
}
