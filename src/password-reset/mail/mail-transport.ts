import { Logger } from '@nestjs/common';
import type { createTransport } from 'nodemailer';
import { EmlFileTransport } from './eml-file.transport';
import { SmtpConnectionPool, SmtpSettings } from './smtp-connection-pool';

/** What nodemailer takes: an `smtp://` URL, SMTP options, or a transport object. */
export type PasswordResetMailTransport = Parameters<typeof createTransport>[0];

/**
 * Nodemailer waits minutes for a silent server by default; these bound each
 * stage of a session, so that a stalled server delays a mail's retry rather
 * than holding a delivery for ten minutes. A host's own values win.
 */
const SMTP_TIMEOUTS = {
  connectionTimeout: 10_000,
  greetingTimeout: 10_000,
  socketTimeout: 30_000,
};

/** Where mail goes when no transport is configured, outside production. */
const DEVELOPMENT_MAIL_DIRECTORY = 'var/mail';

/**
 * The transport the module sends through: an SMTP URL or options become a
 * pool of reused connections with bounded waits; a transport object is used
 * as it is. Without one (outside production: see resolveOptions), each mail
 * becomes an .eml file.
 */
export function mailTransport(
  configured: PasswordResetMailTransport | undefined,
): PasswordResetMailTransport {
  if (configured === undefined) {
    new Logger('PasswordResetMail').warn(
      `No mail.transport: each mail is written as an .eml file under ${DEVELOPMENT_MAIL_DIRECTORY}`,
    );
    return new EmlFileTransport(DEVELOPMENT_MAIL_DIRECTORY);
  }
  if (typeof configured === 'string')
    return new SmtpConnectionPool({ url: configured, ...SMTP_TIMEOUTS });
  if ('send' in configured && typeof configured.send === 'function')
    return configured;
  return new SmtpConnectionPool({
    ...SMTP_TIMEOUTS,
    ...(configured as SmtpSettings),
  });
}
