import { Readable } from 'node:stream';
import type { SentMessageInfo, Transport } from 'nodemailer';
import type MailMessage from 'nodemailer/lib/mailer/mail-message';
import { parseConnectionUrl } from 'nodemailer/lib/shared';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import wellKnown from 'nodemailer/lib/well-known';
import { SmtpAttemptFailed } from './delivery-outcome';

/** SMTP settings as nodemailer takes them: an `smtp://` URL and/or connection options, auth and a well-known `service`. */
export type SmtpSettings = SMTPConnection.Options & {
  url?: string;
  service?: string;
  auth?: SMTPConnection.AuthenticationCredentials;
};

/**
 * Sends each mail over an SMTP session kept open from the last one, so that
 * a server that greets slowly (many wait on purpose) costs one wait per
 * connection rather than one per mail. There are never more connections than
 * mails sent at once, which the outbox bounds (`delivery.concurrency`).
 *
 * It drives nodemailer's SMTPConnection itself, instead of nodemailer's pool,
 * to know how far a failed session got: nodemailer reports a connection that
 * closed as 'CONN' at any stage. The message is a stream that nodemailer reads
 * only after the server answered DATA with 354, so a failure before its first
 * read left nothing with the server (safe to retry with a new link), and one
 * after may have delivered it. Any failure ends the connection, which keeps
 * no half-finished transaction for the next mail.
 */
export class SmtpConnectionPool implements Transport {
  readonly name = 'password-reset-smtp-pool';
  readonly version = '1';
  private readonly idle = new Set<SMTPConnection>();
  private closed = false;
  /** What each connection is opened with: the URL's and the service's settings under the options given beside them. */
  readonly options: SmtpSettings;

  constructor(settings: SmtpSettings) {
    const { url, service, ...options } = settings;
    this.options = {
      ...(service ? wellKnown(service) || {} : {}),
      ...(url ? parseConnectionUrl(url) : {}),
      ...options,
    } as SmtpSettings;
  }

  send(
    mail: MailMessage,
    callback: (error: Error | null, info?: SentMessageInfo) => void,
  ): void {
    this.deliver(mail).then((info) => callback(null, info), callback);
  }

  /** Ends the idle connections now, and each one in use once its mail is sent: an open socket would keep the process alive. */
  close(): void {
    this.closed = true;
    for (const connection of this.idle) connection.quit();
    this.idle.clear();
  }

  private async deliver(mail: MailMessage): Promise<SentMessageInfo> {
    const body = await mail.message.build();
    let bodyRead = false;
    const message = Readable.from(
      (function* () {
        bodyRead = true;
        yield body;
      })(),
      { objectMode: false },
    );
    const envelope = mail.message.getEnvelope();
    let connection: SMTPConnection | undefined;
    try {
      connection = this.takeIdle() ?? (await this.open());
      const info = await new Promise<SMTPConnection.SentMessageInfo>(
        (resolve, reject) =>
          connection!.send(envelope, message, (error, sent) =>
            error ? reject(error) : resolve(sent),
          ),
      );
      if (this.closed) connection.quit();
      else this.idle.add(connection);
      return { ...info, envelope, messageId: mail.message.messageId() };
    } catch (error) {
      connection?.close();
      throw new SmtpAttemptFailed(error as Error, bodyRead);
    }
  }

  private takeIdle(): SMTPConnection | undefined {
    const [connection] = this.idle;
    this.idle.delete(connection);
    return connection;
  }

  private async open(): Promise<SMTPConnection> {
    const connection = new SMTPConnection(this.options);
    // A connection the server ends or times out while idle leaves the pool; one in use reports it through its send.
    connection
      .on('error', () => this.idle.delete(connection))
      .on('end', () => this.idle.delete(connection));
    try {
      await new Promise<void>((resolve, reject) => {
        connection.once('error', reject);
        connection.connect((error) => (error ? reject(error) : resolve()));
      });
      const { auth } = this.options;
      if (auth)
        await new Promise<void>((resolve, reject) =>
          connection.login(auth, (error) =>
            error ? reject(error) : resolve(),
          ),
        );
      return connection;
    } catch (error) {
      connection.close();
      throw error;
    }
  }
}
