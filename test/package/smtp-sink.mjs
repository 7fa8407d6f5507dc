import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** A real SMTP server on loopback that keeps the text of every mail it is given. */
export async function startSmtpSink() {
  const mails = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      // smtp-server resets the envelope once onData returns: copy it first.
      const to = session.envelope.rcptTo.map((rcpt) => rcpt.address);
      simpleParser(stream).then((parsed) => {
        mails.push({
          to,
          text: parsed.text ?? '',
          messageId: parsed.messageId,
          receivedAt: Date.now(),
        });
        callback();
      }, callback);
    },
  });
  // A host stopped while it sends (the notice after a reset, say) resets its
  // connection mid-mail: that host is gone, the sink stays up for the others.
  server.on('error', (error) => {
    if (error.code !== 'ECONNRESET') throw error;
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));

  return {
    url: `smtp://127.0.0.1:${server.server.address().port}`,

    async waitForMailTo(address, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const mail = mails.find((candidate) => candidate.to.includes(address));
        if (mail) return mail;
        if (Date.now() > deadline)
          throw new Error(
            `no mail to ${address} arrived within ${timeoutMs / 1000} s`,
          );
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },

    /** Every mail so far, in the order it arrived. */
    received: () => mails,

    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/** The token of the reset link in a mail's text. */
export function resetTokenIn(mail) {
  const match = /https?:\/\/\S+[?&]token=([\w.-]+)/.exec(mail.text);
  if (!match) throw new Error(`no reset link in the mail:\n${mail.text}`);
  return match[1];
}
