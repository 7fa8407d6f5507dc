import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import type { SentMessageInfo, Transport } from 'nodemailer';
import type MailMessage from 'nodemailer/lib/mailer/mail-message';

/**
 * A nodemailer transport that writes each message as an .eml file, for
 * running without an SMTP server. The file is named in the log; its content
 * (which holds the reset link) is not.
 */
export class EmlFileTransport implements Transport<SentMessageInfo> {
  readonly name = 'eml-file';
  readonly version = '1';
  private readonly logger = new Logger('PasswordResetMail');

  constructor(readonly directory: string) {}

  send(
    mail: MailMessage,
    callback: (error: Error | null, info?: SentMessageInfo) => void,
  ): void {
    mail.message.build((buildError, raw) => {
      if (buildError) return callback(buildError);
      const path = join(this.directory, `${Date.now()}-${randomUUID()}.eml`);
      mkdir(this.directory, { recursive: true })
        .then(() => writeFile(path, raw, { mode: 0o600 }))
        .then(() => {
          this.logger.log(`Mail written to ${path}`);
          callback(null, {
            envelope: mail.message.getEnvelope(),
            messageId: mail.message.messageId(),
            path,
          });
        })
        .catch((error: Error) => callback(error));
    });
  }
}
