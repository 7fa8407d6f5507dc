import { createHmac } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Clock } from '../clock';
import { PasswordResetTranslator } from '../i18n/password-reset-translator';
import type { MailTemplateName } from '../interfaces/password-reset-templates.interface';
import type { PasswordResetUser } from '../interfaces/password-reset-user-store.interface';
import type { ResolvedPasswordResetOptions } from '../options/resolve-options';
import {
  PASSWORD_RESET_CLOCK,
  PASSWORD_RESET_RESOLVED_OPTIONS,
} from '../password-reset.constants';
import { PasswordResetTemplates } from '../rendering/password-reset-templates';
import type { IssuedResetToken } from '../tokens/reset-token.service';
import type { OutboxMail } from './outbox-mail.entity';
import type { PasswordResetMail } from './password-reset-mailer';

/**
 * How long a link has left, as its mail says it: in seconds under two minutes,
 * in whole minutes under two hours, else in whole hours, rounded down, so
 * never longer than true and never 0.
 */
function expiresIn(secondsLeft: number): {
  count: number;
  unit: 'seconds' | 'minutes' | 'hours';
} {
  if (secondsLeft < 120) return { count: secondsLeft, unit: 'seconds' };
  if (secondsLeft < 7200)
    return { count: Math.floor(secondsLeft / 60), unit: 'minutes' };
  return { count: Math.floor(secondsLeft / 3600), unit: 'hours' };
}

/** The template and the texts' section of a link's mail, by what the link is for. */
const LINK_MAIL: Record<
  IssuedResetToken['purpose'],
  { template: MailTemplateName; section: string }
> = {
  reset: { template: 'reset-password', section: 'resetPassword' },
  invite: { template: 'invite', section: 'invite' },
};

interface Content {
  subject: string;
  template: MailTemplateName;
  context: Record<string, unknown>;
}

/**
 * Makes a queued mail into the message that goes out: to the address the user
 * store has for the user (never one a request named), in the user's language
 * (`locale`) or else the default, its subject, both parts rendered from the
 * templates, the link (and the code, where codes are on) in a reset mail,
 * and a Message-ID of its own.
 */
@Injectable()
export class MailComposer {
  constructor(
    @Inject(PASSWORD_RESET_RESOLVED_OPTIONS)
    private readonly options: Pick<
      ResolvedPasswordResetOptions,
      'jwtSecret' | 'resetLink' | 'mail'
    >,
    @Inject(PASSWORD_RESET_CLOCK) private readonly clock: Clock,
    private readonly translator: PasswordResetTranslator,
    private readonly templates: PasswordResetTemplates,
  ) {}

  /** The link's mail (a reset or an invitation) when there is a token to send, else the notice that the password changed. */
  compose(
    mail: OutboxMail,
    user: PasswordResetUser,
    token?: IssuedResetToken,
  ): PasswordResetMail {
    const language = this.translator.fromLocale(user.locale);
    const { subject, template, context } = token
      ? this.linkMail(language, user, token)
      : this.passwordChanged(language, user, mail);
    return {
      to: user.email,
      messageId: this.messageIdOf(mail),
      subject,
      language,
      html: this.templates.render(`${template}.hbs`, language, context),
      text: this.templates.render(`${template}.txt`, language, context),
    };
  }

  private linkMail(
    language: string,
    user: PasswordResetUser,
    token: IssuedResetToken,
  ): Content {
    const { t, name, productName } = this.common(language, user);
    // To the nearest second, as the token was issued just before: a 30-minute link says 30 minutes, not 29.
    const secondsLeft = Math.max(
      1,
      Math.round((token.expiresAt - this.clock.now()) / 1000),
    );
    const { template, section } = LINK_MAIL[token.purpose];
    return {
      subject: t(`mail.${section}.subject`, { productName }),
      template,
      // `minutes` is for hosts' templates that count in minutes alone.
      context: {
        name,
        productName,
        resetUrl: this.options.resetLink(token.link, user),
        expiresIn: expiresIn(secondsLeft),
        minutes: Math.floor(secondsLeft / 60),
        // Only where codes are on: the templates show it beside the link.
        code: token.code,
      },
    };
  }

  /** It says when the password changed: the notice was queued with the change, however late it goes out. */
  private passwordChanged(
    language: string,
    user: PasswordResetUser,
    mail: OutboxMail,
  ): Content {
    const { t, name, productName } = this.common(language, user);
    const changedAt = new Intl.DateTimeFormat(language, {
      dateStyle: 'long',
      timeStyle: 'short',
      timeZone: 'UTC',
    }).format(mail.createdAt);
    return {
      subject: t('mail.passwordChanged.subject', { productName }),
      template: 'password-changed',
      context: { name, productName, changedAt },
    };
  }

  private common(language: string, user: PasswordResetUser) {
    const t = this.translator.in(language);
    return {
      t,
      name: user.username ?? user.email,
      productName:
        this.options.mail.productName ?? t('mail.defaultProductName'),
    };
  }

  /**
   * One Message-ID per queued mail, the same on every attempt and instance, so
   * that a mail sent twice (a worker died between sending and recording) is
   * recognisably one. Keyed with the signing secret: it does not reveal how
   * many mails the service sends. Its domain is the sender's.
   */
  private messageIdOf(mail: OutboxMail): string {
    const id = createHmac('sha256', this.options.jwtSecret)
      .update(`outbox-mail:${mail.id}`)
      .digest('base64url');
    const domain =
      /@([^@>\s]+)>?$/.exec(this.options.mail.from)?.[1] ?? 'localhost';
    return `<${id}@${domain}>`;
  }
}
