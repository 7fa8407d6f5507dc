import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { createTransport, Transporter } from 'nodemailer';
import type { ResolvedPasswordResetOptions } from '../options/resolve-options';
import { PASSWORD_RESET_RESOLVED_OPTIONS } from '../password-reset.constants';
import { mailTransport } from './mail-transport';

/** A message as the composer makes it, ready to go. */
export interface PasswordResetMail {
  to: string;
  /** The same on every attempt at one queued mail. */
  messageId: string;
  subject: string;
  language: string;
  html: string;
  text: string;
}

/** Hands composed mail to nodemailer, through the module's own transport: no mailer framework. */
@Injectable()
export class PasswordResetMailer implements OnApplicationShutdown {
  private readonly transporter: Transporter;

  constructor(
    @Inject(PASSWORD_RESET_RESOLVED_OPTIONS)
    options: Pick<ResolvedPasswordResetOptions, 'mail'>,
  ) {
    this.transporter = createTransport(mailTransport(options.mail.transport), {
      from: options.mail.from,
    });
  }

  async send({
    to,
    messageId,
    subject,
    language,
    html,
    text,
  }: PasswordResetMail): Promise<void> {
    await this.transporter.sendMail({
      to,
      messageId,
      subject,
      html,
      text,
      headers: { 'Content-Language': language },
    });
  }

  onApplicationShutdown(): void {
    this.transporter.close();
  }
}
