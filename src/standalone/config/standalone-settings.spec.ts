import { EmlFileTransport } from '../../index';
import { standaloneSettings } from './standalone-settings';

const SECRET = 'a-secret-of-at-least-thirty-two-characters';

describe('standaloneSettings', () => {
  it('has the documented defaults', () => {
    const settings = standaloneSettings({ JWT_SECRET: SECRET });
    expect(settings).toMatchObject({
      httpAdapter: 'express',
      port: 8090,
      databaseUrl: 'sqlite:var/password-reset.sqlite',
      mailFrom: 'no-reply@localhost',
      resetUrl: 'http://localhost:8090/auth/resetPassword',
      tokenTtl: '30m',
      ipRateLimit: 10,
      resetIpRateLimit: 30,
      trustProxy: false,
      redisUrl: undefined,
      tls: undefined,
      defaultLanguage: 'en',
      breachedPasswordsUrl: undefined,
      resetCode: { digits: 0, attempts: undefined },
      metrics: undefined,
      docs: true,
      requestTimeouts: { headersMs: 10_000, requestMs: 30_000 },
    });
    expect(settings.mailTransport).toBeInstanceOf(EmlFileTransport);
  });

  it('refuses to start in production without JWT_SECRET, or with an http RESET_URL unless told to', () => {
    const production = {
      NODE_ENV: 'production',
      SMTP_URL: 'smtp://mail.example',
    };
    expect(() =>
      standaloneSettings({ ...production, RESET_URL: 'https://a.example/r' }),
    ).toThrow(/JWT_SECRET is required/);
    expect(() =>
      standaloneSettings({ ...production, JWT_SECRET: SECRET }),
    ).toThrow(/RESET_URL must be https/);
    expect(() =>
      standaloneSettings({
        ...production,
        JWT_SECRET: SECRET,
        RESET_URL: 'http://a.example/r',
      }),
    ).toThrow(/RESET_URL must be https/);
    expect(
      standaloneSettings({
        ...production,
        JWT_SECRET: SECRET,
        RESET_URL: 'https://a.example/r',
      }).resetUrl,
    ).toBe('https://a.example/r');
    expect(
      standaloneSettings({
        ...production,
        JWT_SECRET: SECRET,
        RESET_URL: 'http://a.example/r',
        ALLOW_INSECURE_RESET_URL: 'true',
      }).resetUrl,
    ).toBe('http://a.example/r');
  });

  it('refuses to start in production without SMTP_URL, unless MAIL_DIR asks for mail as files', () => {
    const production = {
      NODE_ENV: 'production',
      JWT_SECRET: SECRET,
      RESET_URL: 'https://a.example/r',
    };
    expect(() => standaloneSettings(production)).toThrow(
      /^SMTP_URL is required when NODE_ENV=production/,
    );
    expect(() => standaloneSettings({ ...production, MAIL_DIR: '' })).toThrow(
      /^SMTP_URL is required when NODE_ENV=production/,
    );
    expect(
      standaloneSettings({ ...production, MAIL_DIR: 'outgoing' }).mailTransport,
    ).toEqual(new EmlFileTransport('outgoing'));
    expect(standaloneSettings({ JWT_SECRET: SECRET }).mailTransport).toEqual(
      new EmlFileTransport('var/mail'),
    );
  });

  it('refuses a short JWT_SECRET, a bad SMTP_URL, and limits that are not whole numbers', () => {
    expect(() => standaloneSettings({ JWT_SECRET: 'short' })).toThrow(
      /at least 32/,
    );
    expect(() =>
      standaloneSettings({
        JWT_SECRET: SECRET,
        SMTP_URL: 'http://mail.example',
      }),
    ).toThrow(/smtp/);
    expect(() =>
      standaloneSettings({ JWT_SECRET: SECRET, IP_RATE_LIMIT: 'lots' }),
    ).toThrow(/IP_RATE_LIMIT/);
  });

  it('puts a code of RESET_CODE_DIGITS (6 to 10) digits in reset mails, allowing RESET_CODE_ATTEMPTS wrong ones, and refuses to start with anything else', () => {
    const code = (env: NodeJS.ProcessEnv) =>
      standaloneSettings({ JWT_SECRET: SECRET, ...env }).resetCode;
    for (const off of ['', '0'])
      expect(code({ RESET_CODE_DIGITS: off })).toEqual({
        digits: 0,
        attempts: undefined,
      });
    expect(code({ RESET_CODE_DIGITS: '6' })).toEqual({
      digits: 6,
      attempts: undefined,
    });
    expect(code({ RESET_CODE_DIGITS: '10', RESET_CODE_ATTEMPTS: '3' })).toEqual(
      { digits: 10, attempts: 3 },
    );
    for (const digits of ['00', '5', '11', '6.5', '-6', 'six', ' 6', '1e1'])
      expect(() => code({ RESET_CODE_DIGITS: digits })).toThrow(
        /^RESET_CODE_DIGITS must be 6 to 10, or unset or 0 for links only$/,
      );
    for (const attempts of ['0', '1001', 'many', '2.5'])
      expect(() =>
        code({ RESET_CODE_DIGITS: '6', RESET_CODE_ATTEMPTS: attempts }),
      ).toThrow(/^RESET_CODE_ATTEMPTS must be 1 to 1000$/);
  });

  it('checks new passwords against the range service BREACHED_PASSWORDS_URL names, an http(s) URL', () => {
    expect(
      standaloneSettings({
        JWT_SECRET: SECRET,
        BREACHED_PASSWORDS_URL: 'https://api.pwnedpasswords.com',
      }).breachedPasswordsUrl,
    ).toBe('https://api.pwnedpasswords.com');
    expect(() =>
      standaloneSettings({
        JWT_SECRET: SECRET,
        BREACHED_PASSWORDS_URL: 'api.pwnedpasswords.com',
      }),
    ).toThrow(/BREACHED_PASSWORDS_URL must be an http\(s\) URL/);
  });

  it('runs on Express or Fastify, as HTTP_ADAPTER says, and on nothing else', () => {
    expect(
      standaloneSettings({ JWT_SECRET: SECRET, HTTP_ADAPTER: 'fastify' })
        .httpAdapter,
    ).toBe('fastify');
    expect(
      standaloneSettings({ JWT_SECRET: SECRET, HTTP_ADAPTER: 'express' })
        .httpAdapter,
    ).toBe('express');
    expect(() =>
      standaloneSettings({ JWT_SECRET: SECRET, HTTP_ADAPTER: 'koa' }),
    ).toThrow(/HTTP_ADAPTER must be express or fastify/);
  });

  it('serves the OpenAPI document unless DOCS=false, and refuses a DOCS that is neither true nor false', () => {
    expect(standaloneSettings({ JWT_SECRET: SECRET, DOCS: 'false' }).docs).toBe(
      false,
    );
    expect(standaloneSettings({ JWT_SECRET: SECRET, DOCS: 'true' }).docs).toBe(
      true,
    );
    expect(() =>
      standaloneSettings({ JWT_SECRET: SECRET, DOCS: 'no' }),
    ).toThrow(/DOCS must be true or false/);
  });

  it('bounds the time to send the headers and the whole request, the headers within the request', () => {
    expect(
      standaloneSettings({
        JWT_SECRET: SECRET,
        HEADERS_TIMEOUT: '2s',
        REQUEST_TIMEOUT: '5s',
      }).requestTimeouts,
    ).toEqual({ headersMs: 2000, requestMs: 5000 });
    expect(() =>
      standaloneSettings({ JWT_SECRET: SECRET, HEADERS_TIMEOUT: '40s' }),
    ).toThrow(/HEADERS_TIMEOUT must not be longer than REQUEST_TIMEOUT/);
    expect(() =>
      standaloneSettings({ JWT_SECRET: SECRET, REQUEST_TIMEOUT: 'soon' }),
    ).toThrow(/REQUEST_TIMEOUT must be a duration/);
  });

  it('reads TRUST_PROXY as Express does', () => {
    expect(
      standaloneSettings({ JWT_SECRET: SECRET, TRUST_PROXY: 'true' })
        .trustProxy,
    ).toBe(true);
    expect(
      standaloneSettings({ JWT_SECRET: SECRET, TRUST_PROXY: '2' }).trustProxy,
    ).toBe(2);
    expect(
      standaloneSettings({ JWT_SECRET: SECRET, TRUST_PROXY: 'loopback' })
        .trustProxy,
    ).toBe('loopback');
  });

  it('serves HTTPS, and links to it, with both TLS_CERT and TLS_KEY, and refuses to start with only one of them', () => {
    expect(
      standaloneSettings({
        JWT_SECRET: SECRET,
        TLS_CERT: 'tls/cert.pem',
        TLS_KEY: 'tls/key.pem',
      }),
    ).toMatchObject({
      tls: { certFile: 'tls/cert.pem', keyFile: 'tls/key.pem' },
      resetUrl: 'https://localhost:8090/auth/resetPassword',
    });
    expect(() =>
      standaloneSettings({ JWT_SECRET: SECRET, TLS_CERT: 'tls/cert.pem' }),
    ).toThrow(/TLS_CERT and TLS_KEY go together/);
    expect(() =>
      standaloneSettings({ JWT_SECRET: SECRET, TLS_KEY: 'tls/key.pem' }),
    ).toThrow(/TLS_CERT and TLS_KEY go together/);
  });

  it('serves metrics, when METRICS=true, on a loopback listener of their own, never on PORT', () => {
    expect(
      standaloneSettings({ JWT_SECRET: SECRET, METRICS: 'true' }).metrics,
    ).toEqual({ port: 9464, host: '127.0.0.1', token: undefined });
    const token = 'a-scrape-token-of-at-least-thirty-two-characters';
    expect(
      standaloneSettings({
        JWT_SECRET: SECRET,
        METRICS: 'true',
        METRICS_PORT: '9100',
        METRICS_HOST: '10.0.0.5',
        METRICS_TOKEN: token,
      }).metrics,
    ).toEqual({
      port: 9100,
      host: '10.0.0.5',
      token,
    });
    expect(() =>
      standaloneSettings({
        JWT_SECRET: SECRET,
        METRICS: 'true',
        PORT: '9100',
        METRICS_PORT: '9100',
      }),
    ).toThrow(/METRICS_PORT must differ from PORT/);
    expect(() =>
      standaloneSettings({
        JWT_SECRET: SECRET,
        METRICS: 'true',
        METRICS_TOKEN: 'short',
      }),
    ).toThrow(/METRICS_TOKEN must be at least 32/);
    for (const half of [
      { METRICS_PORT: '9100' },
      { METRICS_HOST: '0.0.0.0' },
      { METRICS_TOKEN: token },
    ]) {
      expect(() => standaloneSettings({ JWT_SECRET: SECRET, ...half })).toThrow(
        /need METRICS=true/,
      );
    }
  });
});
