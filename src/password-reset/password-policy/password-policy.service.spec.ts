import { systemClock } from '../clock';
import { inEnglish } from '../i18n/password-reset-translator';
import { BreachedPasswords } from './breached-passwords';
import { PasswordPolicyService } from './password-policy.service';
import { StrengthEstimator } from './strength-estimator';

describe('PasswordPolicyService', () => {
  const estimator = new StrengthEstimator();
  const policy = new PasswordPolicyService({} as never, estimator, new BreachedPasswords({} as never, systemClock));
  const user = { id: '1', username: 'margaret', email: 'Margaret.Hamilton@example.com' };
  afterAll(() => estimator.onModuleDestroy());
  const reasonsFor = async (password: string) => (await policy.check(password, user)).map(inEnglish);

  it('accepts a long unguessable passphrase, up to 128 characters', async () => {
    expect(await reasonsFor('quiet lantern orbit 1987 meadow')).toEqual([]);
    expect(await reasonsFor('quiet lantern orbit 1987 meadow '.repeat(4))).toEqual([]);
  });

  it('refuses fewer than 8 or more than 128 characters, counting code points', async () => {
    expect(await reasonsFor('a1b2c3d')).toEqual(['password must be at least 8 characters long']);
    expect(await reasonsFor('🔒🔑🗝️🚪')).toEqual(['password must be at least 8 characters long']);
    expect(await reasonsFor('x'.repeat(129))).toEqual(['password must be at most 128 characters long']);
  });

  it("refuses the user's own username, address or its local part, in any case", async () => {
    for (const password of ['MARGARET', 'margaret.hamilton@example.com', 'Margaret.Hamilton']) {
      expect(await reasonsFor(password)).toEqual(['password must not be your username or e-mail address']);
    }
  });

  it('refuses common and easily guessed passwords with the reasons', async () => {
    for (const password of ['password123', 'qwertyuiop', 'iloveyou2024', 'margaret1987', 'aaaaaaaaaaaa']) {
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
});
