import { systemClock } from '../clock';
import type { PasswordPolicyOptions } from '../interfaces/password-reset-module-options.interface';
import { inEnglish } from '../i18n/i18n-instances';
import { PasswordResetMetrics } from '../metrics/password-reset-metrics';
import { BreachedPasswords } from './breached-passwords';
import { PasswordPolicyService } from './password-policy.service';
import { StrengthEstimate, StrengthEstimator } from './strength-estimator';
import { resolvedOptions } from '../../../test/support/module-options';

describe('PasswordPolicyService', () => {
  const estimator = new StrengthEstimator();
  const noBreachCheck = new BreachedPasswords(
    resolvedOptions(),
    systemClock,
    PasswordResetMetrics.off(),
  );
  const policy = new PasswordPolicyService(
    resolvedOptions(),
    estimator,
    noBreachCheck,
  );
  const user = {
    id: '1',
    username: 'margaret',
    email: 'Margaret.Hamilton@example.com',
  };
  afterAll(() => estimator.onModuleDestroy());
  const reasonsFor = async (password: string) =>
    (await policy.check(password, user)).map(inEnglish);

  it('accepts a long unguessable passphrase, up to 128 characters', async () => {
    expect(await reasonsFor('quiet lantern orbit 1987 meadow')).toEqual([]);
    expect(
      await reasonsFor('quiet lantern orbit 1987 meadow '.repeat(4)),
    ).toEqual([]);
  });

  it('refuses fewer than 8 or more than 128 characters, counting code points', async () => {
    expect(await reasonsFor('a1b2c3d')).toEqual([
      'password must be at least 8 characters long',
    ]);
    expect(await reasonsFor('🔒🔑🗝️🚪')).toEqual([
      'password must be at least 8 characters long',
    ]);
    expect(await reasonsFor('x'.repeat(129))).toEqual([
      'password must be at most 128 characters long',
    ]);
  });

  it("refuses the user's own username, address or its local part, in any case", async () => {
    for (const password of [
      'MARGARET',
      'margaret.hamilton@example.com',
      'Margaret.Hamilton',
    ]) {
      expect(await reasonsFor(password)).toEqual([
        'password must not be your username or e-mail address',
      ]);
    }
  });

  it('refuses common and easily guessed passwords with the reasons', async () => {
    for (const password of [
      'password123',
      'qwertyuiop',
      'iloveyou2024',
      'margaret1987',
      'aaaaaaaaaaaa',
    ]) {
      const reasons = await reasonsFor(password);
      expect(reasons[0]).toBe('password is too easy to guess');
    }
  });

  it('estimates off the event loop: other work runs while a long hostile input is scored', async () => {
    let turns = 0;
    const tick = () => {
      turns += 1;
      if (!done) setImmediate(tick);
    };
    let done = false;
    setImmediate(tick);
    await reasonsFor('p@$$w0rd'.repeat(16));
    done = true;
    expect(turns).toBeGreaterThan(0);
  });

  it('reports the lengths it allows: 8 to 128 by default, or those of the options', () => {
    expect(policy.lengths).toEqual({ minLength: 8, maxLength: 128 });
    expect(
      new PasswordPolicyService(
        resolvedOptions({ passwordPolicy: { minLength: 12 } }),
        estimator,
        noBreachCheck,
      ).lengths,
    ).toEqual({ minLength: 12, maxLength: 128 });
  });

  it('takes exactly 8 and exactly 128 characters as within the range', async () => {
    expect(await reasonsFor('quietlan')).not.toContain(
      'password must be at least 8 characters long',
    );
    expect(await reasonsFor('x'.repeat(128))).not.toContain(
      'password must be at most 128 characters long',
    );
  });

  it('scores only the first 64 characters: a guessable start with a strong tail is guessable', async () => {
    expect(
      await reasonsFor(`${'a'.repeat(64)}quiet lantern orbit 1987 meadow`),
    ).toContain('password is too easy to guess');
  });

  it('refuses the local part of an address for a user without a username', async () => {
    const withoutUsername = { id: '2', email: 'grace.hopper@example.com' };
    expect(
      (await policy.check('Grace.Hopper', withoutUsername)).map(inEnglish),
    ).toEqual(['password must not be your username or e-mail address']);
  });

  it('fails the estimates a stopped estimator had not answered, and starts afresh for the next', async () => {
    const own = new StrengthEstimator();
    const pending = own.estimate('quiet lantern orbit 1987 meadow', []);
    await own.onModuleDestroy();
    await expect(pending).rejects.toThrow('password strength worker exited');
    await expect(
      own.estimate('quiet lantern orbit 1987 meadow', []),
    ).resolves.toMatchObject({ score: 4 });
    await own.onModuleDestroy();
  });

  describe('with a given strength estimate', () => {
    const estimated = (
      estimate: StrengthEstimate,
      options: Partial<PasswordPolicyOptions> = {},
    ) => {
      const given = {
        estimate: jest.fn(async () => estimate),
      } as unknown as StrengthEstimator;
      return {
        given,
        policy: new PasswordPolicyService(
          resolvedOptions({ passwordPolicy: options }),
          given,
          noBreachCheck,
        ),
      };
    };

    it('accepts a score that just reaches the minimum strength, and refuses one below it', async () => {
      const atMinimum = estimated(
        { score: 2, warning: null, suggestions: [] },
        { minStrength: 2 },
      );
      expect(await atMinimum.policy.check('quiet lantern', user)).toEqual([]);
      const below = estimated({ score: 2, warning: null, suggestions: [] });
      expect(
        (await below.policy.check('quiet lantern', user)).map(inEnglish),
      ).toEqual(['password is too easy to guess']);
    });

    it("passes the user's name, address and local part to the estimator as words to avoid", async () => {
      const { given, policy: withGiven } = estimated({
        score: 4,
        warning: null,
        suggestions: [],
      });
      await withGiven.check('quiet lantern', user);
      expect(given.estimate).toHaveBeenCalledWith('quiet lantern', [
        'margaret',
        'Margaret.Hamilton@example.com',
        'Margaret.Hamilton',
      ]);
    });

    it("gives the estimator's warning and suggestions as hints after the reason", async () => {
      const hinted = estimated({
        score: 1,
        warning: 'This is a top-100 common password.',
        suggestions: ['Add more words.', 'Avoid years.'],
      });
      expect(
        (await hinted.policy.check('quiet lantern', user)).map(inEnglish),
      ).toEqual([
        'password is too easy to guess',
        'This is a top-100 common password.',
        'Add more words.',
        'Avoid years.',
      ]);
    });
  });
});
