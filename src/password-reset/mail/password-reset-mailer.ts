import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { createTransport, Transporter } from 'nodemailer';
import type { PasswordResetModuleOptions } from '../interfaces/password-reset-module-options.interface';
import { PASSWORD_RESET_OPTIONS } from '../password-reset.module-definition';
import { MailTemplateName, renderMail } from './mail-templates';
import { mailTransport } from './mail-transport';

export interface PasswordResetMail {
  to: string;
  /** The same on every attempt at one queued mail. */
  messageId: string;
  subject: string;
  template: MailTemplateName;
  context: Record<string, unknown>;
}

export const DEFAULT_MAIL_FROM = 'no-reply@localhost';

/** Renders the module's mail and hands it to nodemailer: no mailer framework, no template engines the module does not use. */
@Injectable()
export class PasswordResetMailer implements OnApplicationShutdown {
  private readonly transporter: Transporter;
  readonly from: string;

  constructor(@Inject(PASSWORD_RESET_OPTIONS) options: PasswordResetModuleOptions) {
    this.from = options.mail?.from ?? DEFAULT_MAIL_FROM;
    this.transporter = createTransport(mailTransport(options.mail?.transport), { from: this.from });
  }

  async send({ to, messageId, subject, template, context }: PasswordResetMail): Promise<void> {
    await this.transporter.sendMail({ to, messageId, subject, ...renderMail(template, context) });
  }

  onApplicationShutdown(): void {
    this.transporter.close();
  }
}
