import { EmlFileTransport } from './eml-file.transport';
import { mailTransport } from './mail-transport';

describe('mailTransport', () => {
  it('refuses to start without a transport in production', () => {
    expect(() => mailTransport(undefined, 'production')).toThrow('mail.transport is required when NODE_ENV=production');
  });

  it('writes .eml files without a transport outside production', () => {
    expect(mailTransport(undefined, 'development')).toBeInstanceOf(EmlFileTransport);
  });

  it("bounds every SMTP stage of a URL or options, and lets the host's own values win", () => {
    expect(mailTransport('smtp://mail.example:25')).toEqual({ url: 'smtp://mail.example:25', connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 });
    expect(mailTransport({ host: 'mail.example', socketTimeout: 5_000 })).toEqual({ host: 'mail.example', connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 5_000 });
  });

  it('uses a transport object as it is', () => {
    const transport = new EmlFileTransport('/tmp/mail');
    expect(mailTransport(transport, 'production')).toBe(transport);
  });
});
