import { tmpdir } from 'node:os';
import type { PasswordResetModuleOptions } from '../interfaces/password-reset-module-options.interface';
import { resolveOptions } from './resolve-options';

const HOUR = 60 * 60 * 1000;
const USER = { id: '7', email: 'margaret@example.com' };

describe('resolveOptions', () => {
  const resolve = (
    given: Partial<PasswordResetModuleOptions> = {},
    environment = 'test',
  ) =>
    resolveOptions(
      {
        userStore: {} as PasswordResetModuleOptions['userStore'],
        jwtSecret: 'unit-test-secret-unit-test-secret-unit-test',
        resetUrl: 'https://app.example.test/reset?from=mail',
        ...given,
      },
      environment,
    );

  it('fills in the documented default of every option left out', () => {
    const resolved = resolve();
    expect(resolved).toMatchObject({
      mail: { from: 'no-reply@localhost' },
      templates: {},
      messages: {},
      languages: ['en', 'de'],
      events: { failRequestOnListenerError: false },
      tokenTtlMs: 30 * 60 * 1000,
      secondFactorAttempts: 5,
      code: { digits: 0, attempts: 5 },
      accountLimit: { max: 3, windowMs: HOUR },
      delivery: {
        pollIntervalMs: 1000,
        retryBaseMs: 5000,
        retryMaxMs: 900_000,
        maxAttempts: 12,
        attemptTimeoutMs: 60_000,
        leaseMs: 120_000,
        concurrency: 5,
      },
      passwordPolicy: { minLength: 8, maxLength: 128, minStrength: 3 },
      rateLimit: { lostPasswordPerMinute: 10, resetPasswordPerMinute: 30 },
    });
    expect(resolved.passwordPolicy.breached).toBeUndefined();
    expect(resolved.rateLimit.storage).toBeUndefined();
    expect(resolved.clock.now()).toBeCloseTo(Date.now(), -3);
  });

  it('takes each value given over its default, and an undefined one as left out', () => {
    const resolved = resolve({
      mail: { from: undefined, productName: 'Acme' },
      delivery: { leaseMs: 200_000, attemptTimeoutMs: undefined },
      passwordPolicy: { minLength: 12 },
      rateLimit: { lostPasswordPerMinute: 0 },
      accountLimit: { max: 1, windowMs: 1000 },
    });
    expect(resolved.mail).toEqual({
      from: 'no-reply@localhost',
      productName: 'Acme',
    });
    expect(resolved.delivery).toMatchObject({
      leaseMs: 200_000,
      attemptTimeoutMs: 60_000,
      concurrency: 5,
    });
    expect(resolved.passwordPolicy).toEqual({
      minLength: 12,
      maxLength: 128,
      minStrength: 3,
    });
    expect(resolved.rateLimit).toEqual({
      lostPasswordPerMinute: 0,
      resetPasswordPerMinute: 30,
    });
    expect(resolved.accountLimit).toEqual({ max: 1, windowMs: 1000 });
  });

  it('checks returnUrls at start, each entry an absolute http(s) URL without userinfo', () => {
    expect(() =>
      resolve({
        returnUrls: ['https://app.example.test', 'https://a@b.example.test/'],
      }),
    ).toThrow(
      'PasswordResetModule: returnUrls: "https://a@b.example.test/" is not an absolute http(s) URL without user, password, query or fragment',
    );
    expect(() =>
      resolve({ returnUrls: 'https://app.example.test' as never }),
    ).toThrow('PasswordResetModule: returnUrls must be an array of URLs');
    const { returnAddresses } = resolve({
      returnUrls: ['https://app.example.test'],
    });
    expect(returnAddresses.check('https://app.example.test/x')).toBe(
      'https://app.example.test/x',
    );
    expect(resolve({}).returnAddresses.enabled).toBe(false);
  });

  it('needs a JWT secret of at least 32 characters', () => {
    expect(() => resolve({ jwtSecret: 'x'.repeat(31) })).toThrow(
      'PasswordResetModule: jwtSecret must be at least 32 characters',
    );
    expect(resolve({ jwtSecret: 'x'.repeat(32) }).jwtSecret).toBe(
      'x'.repeat(32),
    );
  });

  describe('the reset link', () => {
    it('is resetUrl with the token added to its query', () => {
      const link = new URL(resolve().resetLink('ey.token', USER));
      expect(`${link.origin}${link.pathname}`).toBe(
        'https://app.example.test/reset',
      );
      expect(link.searchParams.get('from')).toBe('mail');
      expect(link.searchParams.get('token')).toBe('ey.token');
    });

    it("is the host's own where it has one, which must return an http(s) URL", () => {
      const resetLink = resolve({
        resetUrl: undefined,
        resetLink: (token, user) =>
          user.id === '7'
            ? `https://spa.example.test/#/reset/${token}`
            : 'javascript:alert(1)',
      }).resetLink;
      expect(resetLink('ey.token', USER)).toBe(
        'https://spa.example.test/#/reset/ey.token',
      );
      expect(() => resetLink('ey.token', { ...USER, id: '8' })).toThrow(
        'resetLink returned no http(s) URL',
      );
    });

    it('needs an http(s) resetUrl, or a resetLink', () => {
      expect(() => resolve({ resetUrl: undefined })).toThrow(
        'PasswordResetModule: resetUrl or resetLink is required',
      );
      for (const resetUrl of ['ftp://example.test/reset', 'not a url'])
        expect(() => resolve({ resetUrl })).toThrow(
          'PasswordResetModule: resetUrl must be an http(s) URL',
        );
      expect(() =>
        resolve({ resetUrl: 'http://example.test/reset' }),
      ).not.toThrow();
      expect(() =>
        resolve({
          resetUrl: undefined,
          resetLink: () => 'https://example.test',
        }),
      ).not.toThrow();
    });
  });

  it('reads the token lifetime in milliseconds or as a duration such as 2h, and refuses one that is not a positive duration', () => {
    expect(resolve({ tokenTtl: '2h' }).tokenTtlMs).toBe(2 * HOUR);
    expect(resolve({ tokenTtl: 5000 }).tokenTtlMs).toBe(5000);
    for (const tokenTtl of ['soon', 0, -1])
      expect(() => resolve({ tokenTtl })).toThrow(
        /Invalid reset token lifetime/,
      );
  });

  it('refuses a count of second-factor attempts that is no whole number from 1 to 1000', () => {
    expect(resolve({ secondFactorAttempts: 3 }).secondFactorAttempts).toBe(3);
    expect(resolve({ secondFactorAttempts: 1000 }).secondFactorAttempts).toBe(
      1000,
    );
    for (const secondFactorAttempts of [0, 2.5, 1001, Number.NaN])
      expect(() => resolve({ secondFactorAttempts })).toThrow(
        /Invalid secondFactorAttempts/,
      );
  });

  it('puts codes of 6 to 10 digits in the mails, or none (0), allowing 1 to 1000 wrong ones, 5 unless told otherwise', () => {
    expect(resolve({ code: { digits: 6 } }).code).toEqual({
      digits: 6,
      attempts: 5,
    });
    expect(resolve({ code: { digits: 10, attempts: 1000 } }).code).toEqual({
      digits: 10,
      attempts: 1000,
    });
    expect(resolve({ code: { attempts: 3 } }).code).toEqual({
      digits: 0,
      attempts: 3,
    });
    for (const digits of [5, 11, 6.5, -6, Number.NaN])
      expect(() => resolve({ code: { digits } })).toThrow(
        /code\.digits must be 6 to 10, or 0 for links only/,
      );
    for (const attempts of [0, 2.5, 1001])
      expect(() => resolve({ code: { digits: 6, attempts } })).toThrow(
        /code\.attempts must be 1 to 1000/,
      );
  });

  it('needs a lease longer than an attempt, and a whole positive number of mails at once', () => {
    expect(() =>
      resolve({ delivery: { leaseMs: 60_000, attemptTimeoutMs: 60_000 } }),
    ).toThrow(
      'PasswordResetModule: delivery.leaseMs must be longer than delivery.attemptTimeoutMs',
    );
    expect(() =>
      resolve({ delivery: { leaseMs: 60_001, attemptTimeoutMs: 60_000 } }),
    ).not.toThrow();
    for (const concurrency of [0, 1.5])
      expect(() => resolve({ delivery: { concurrency } })).toThrow(
        'PasswordResetModule: delivery.concurrency must be a positive integer',
      );
  });

  it('puts the default language first, and needs texts in it', () => {
    expect(resolve({ defaultLanguage: 'de' }).languages).toEqual(['de', 'en']);
    expect(
      resolve({
        defaultLanguage: 'fr',
        messages: { fr: { mail: { greeting: 'Bonjour {{name}},' } } },
      }).languages,
    ).toEqual(['fr', 'en', 'de']);
    expect(() => resolve({ defaultLanguage: 'fr' })).toThrow(
      'PasswordResetModule: defaultLanguage fr has no messages (languages: en, de)',
    );
  });

  it('needs the templates directory to exist', () => {
    expect(
      resolve({ templates: { directory: tmpdir() } }).templates.directory,
    ).toBe(tmpdir());
    expect(() =>
      resolve({ templates: { directory: '/nonexistent/templates' } }),
    ).toThrow(
      'PasswordResetModule: templates.directory /nonexistent/templates does not exist',
    );
  });

  it('asks a breached-password service at an http(s) URL, for 2 s unless told otherwise', () => {
    expect(
      resolve({
        passwordPolicy: {
          breached: { rangeUrl: 'https://api.pwnedpasswords.com//' },
        },
      }).passwordPolicy.breached,
    ).toEqual({ rangeUrl: 'https://api.pwnedpasswords.com', timeoutMs: 2000 });
    expect(() =>
      resolve({
        passwordPolicy: { breached: { rangeUrl: 'file:///etc/passwd' } },
      }),
    ).toThrow(
      'PasswordResetModule: passwordPolicy.breached.rangeUrl must be an http(s) URL',
    );
    expect(() =>
      resolve({
        passwordPolicy: {
          breached: { rangeUrl: 'https://ranges.example.test', timeoutMs: 0 },
        },
      }),
    ).toThrow(
      'PasswordResetModule: passwordPolicy.breached.timeoutMs must be positive',
    );
  });

  it('needs a mail transport in production, and only there', () => {
    expect(() => resolve({}, 'production')).toThrow(
      'PasswordResetModule: mail.transport is required when NODE_ENV=production',
    );
    expect(() =>
      resolve({ mail: { transport: 'smtp://mail.example:25' } }, 'production'),
    ).not.toThrow();
    expect(resolve({}, 'development').mail.transport).toBeUndefined();
  });
});
