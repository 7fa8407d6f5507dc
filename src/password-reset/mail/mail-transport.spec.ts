import { EmlFileTransport } from './eml-file.transport';
import { mailTransport } from './mail-transport';
import { SmtpConnectionPool } from './smtp-connection-pool';

describe('mailTransport', () => {
  it('writes .eml files without a transport', () => {
    expect(mailTransport(undefined)).toBeInstanceOf(EmlFileTransport);
  });

  it("sends through a pool of connections bounding every SMTP stage of a URL or options, and lets the host's own values win", () => {
    const fromUrl = mailTransport('smtp://user:secret@mail.example:25');
    expect(fromUrl).toBeInstanceOf(SmtpConnectionPool);
    expect((fromUrl as SmtpConnectionPool).options).toMatchObject({
      host: 'mail.example',
      port: 25,
      auth: { user: 'user', pass: 'secret' },
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 30_000,
    });
    const fromOptions = mailTransport({
      host: 'mail.example',
      socketTimeout: 5_000,
    }) as SmtpConnectionPool;
    expect(fromOptions.options).toEqual({
      host: 'mail.example',
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 5_000,
    });
  });

  it('uses a transport object as it is', () => {
    const transport = new EmlFileTransport('/tmp/mail');
    expect(mailTransport(transport)).toBe(transport);
  });
});
