import { AddressInfo } from 'node:net';
import { createTransport } from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import { SmtpConnectionPool } from '../../src/password-reset/mail/smtp-connection-pool';

/** A pool closed while a mail is under way ends that connection once the mail is sent, so that no socket keeps a stopping process alive. */
describe('the SMTP connection pool, closed mid-send', () => {
  let server: SMTPServer;
  let closedSessions = 0;
  beforeAll(async () => {
    server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData: (stream, _session, callback) =>
        stream.on('end', () => setTimeout(callback, 300)).resume(),
      onClose: () => (closedSessions += 1),
    });
    await new Promise<void>((resolve) =>
      server.listen(0, '127.0.0.1', resolve),
    );
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('quits the connection of a mail that was being sent when the pool closed', async () => {
    const pool = new SmtpConnectionPool({
      url: `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}`,
    });
    const transporter = createTransport(pool);
    const sent = transporter.sendMail({
      from: 'no-reply@example.test',
      to: 'someone@example.test',
      subject: 'hello',
      text: 'hello',
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    transporter.close();
    await sent;
    const deadline = Date.now() + 5000;
    while (closedSessions === 0 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20));
    expect(closedSessions).toBe(1);
  });
});
