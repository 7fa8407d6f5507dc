import { AddressInfo } from 'node:net';
import { simpleParser, ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  to: string[];
  from: string;
  parsed: ParsedMail;
}

/** A real SMTP server on loopback that keeps what arrives; it can go down and come back on the same port. */
export class SmtpSink {
  readonly mails: ReceivedMail[] = [];
  /** Mail to these addresses is read to the end and then never answered, like a server that stalls after DATA. */
  readonly stallFor = new Set<string>();
  /** Mail to these addresses is refused for good at RCPT TO (550), as a server does for a mailbox that does not exist. */
  readonly refuseFor = new Set<string>();
  /**
   * How long the server waits between keeping a message and answering 250:
   * a client that dies in between has had its mail delivered without knowing.
   */
  replyDelayMs = 0;
  /**
   * The first mail to each of these addresses is kept only after this many
   * milliseconds, as behind a slow relay: a mail sent beside it arrives before it.
   */
  readonly holdFirstMailTo = new Map<string, number>();
  /**
   * While set, each message is kept when it arrives and its answer held back
   * until `releaseReplies`: the sender's attempt stays under way, holding its place.
   */
  holdingReplies = false;
  private readonly heldReplies: (() => void)[] = [];
  /** Messages taken and never answered, per recipient. */
  readonly stalled: string[] = [];
  private server?: SMTPServer;
  port = 0;

  async start(): Promise<this> {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onRcptTo: (address, _session, callback) => {
        if (!this.refuseFor.has(address.address)) return callback();
        callback(
          Object.assign(new Error('mailbox unavailable'), {
            responseCode: 550,
          }),
        );
      },
      onData: (stream, session, callback) => {
        // smtp-server resets the envelope once onData returns: copy it first.
        const to = session.envelope.rcptTo.map((rcpt) => rcpt.address);
        const from = session.envelope.mailFrom
          ? session.envelope.mailFrom.address
          : '';
        if (to.some((address) => this.stallFor.has(address))) {
          stream.on('end', () => this.stalled.push(...to)).resume();
          return;
        }
        simpleParser(stream)
          .then((parsed) => {
            const keep = () => {
              this.mails.push({ to, from, parsed });
              const reply = () => setTimeout(callback, this.replyDelayMs);
              if (this.holdingReplies) this.heldReplies.push(reply);
              else reply();
            };
            const holdMs = Math.max(
              0,
              ...to.map((address) => this.holdFirstMailTo.get(address) ?? 0),
            );
            for (const address of to) this.holdFirstMailTo.delete(address);
            if (holdMs > 0) setTimeout(keep, holdMs);
            else keep();
          })
          .catch(callback);
      },
    });
    await new Promise<void>((resolve) =>
      this.server!.listen(this.port, '127.0.0.1', resolve),
    );
    this.port = (this.server.server.address() as AddressInfo).port;
    return this;
  }

  get heldReplyCount(): number {
    return this.heldReplies.length;
  }

  /** Answers the first `count` messages whose answer is held, in the order they arrived; all by default. */
  releaseReplies(count = this.heldReplies.length): void {
    for (const reply of this.heldReplies.splice(0, count)) reply();
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    const server = this.server;
    this.server = undefined;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  mailsTo(address: string): ReceivedMail[] {
    return this.mails.filter((mail) => mail.to.includes(address));
  }

  async waitForMails(
    address: string,
    count = 1,
    timeoutMs = 10000,
  ): Promise<ReceivedMail[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.mailsTo(address).length < count) {
      if (Date.now() > deadline)
        throw new Error(
          `expected ${count} mail(s) to ${address}, got ${this.mailsTo(address).length}`,
        );
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return this.mailsTo(address);
  }
}

/** The reset link's token, read from a mail's text part. */
export function tokenFrom(mail: ReceivedMail): string {
  const match = /https?:\/\/\S+[?&]token=([\w.-]+)/.exec(
    mail.parsed.text ?? '',
  );
  if (!match) throw new Error('no reset link in the mail');
  return match[1];
}

/** The reset code, read from a mail's text part: the line that is a run of digits and nothing else. */
export function codeFrom(mail: ReceivedMail): string {
  const match = /^([0-9]{6,10})$/m.exec(mail.parsed.text ?? '');
  if (!match) throw new Error('no reset code in the mail');
  return match[1];
}
