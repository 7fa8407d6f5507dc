import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { createTransport, Transporter } from 'nodemailer';
import type { MailTemplateName } from '../interfaces/password-reset-templates.interface';
import type { ResolvedPasswordResetOptions } from '../options/resolve-options';
import { PASSWORD_RESET_RESOLVED_OPTIONS } from '../password-reset.constants';
import { PasswordResetTemplates } from '../rendering/password-reset-templates';
import { mailTransport } from './mail-transport';

export interface PasswordResetMail {
  to: string;
  /** The same on every attempt at one queued mail. */
  messageId: string;
  subject: string;
  template: MailTemplateName;
  language: string;
  context: Record<string, unknown>;
}

/** Renders the module's mail and hands it to nodemailer: no mailer framework, no template engines the module does not use. */
@Injectable()
export class PasswordResetMailer implements OnApplicationShutdown {
  private readonly transporter: Transporter;
  readonly from: string;

  constructor(
    @Inject(PASSWORD_RESET_RESOLVED_OPTIONS)
    options: Pick<ResolvedPasswordResetOptions, 'mail'>,
    private readonly templates: PasswordResetTemplates,
  ) {
    this.from = options.mail.from;
    this.transporter = createTransport(mailTransport(options.mail.transport), {
      from: this.from,
    });
  }

  async send({
    to,
    messageId,
    subject,
    template,
    language,
    context,
  }: PasswordResetMail): Promise<void> {
    const html = this.templates.render(`${template}.hbs`, language, context);
    const text = this.templates.render(`${template}.txt`, language, context);
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
