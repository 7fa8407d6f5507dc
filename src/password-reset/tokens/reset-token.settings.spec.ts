import { ResetTokenSettings } from './reset-token.settings';

describe('ResetTokenSettings', () => {
  it('defaults to 30 minutes and reads durations such as 2h or milliseconds', () => {
    expect(new ResetTokenSettings().ttlMs).toBe(30 * 60000);
    expect(new ResetTokenSettings('2h').ttlMs).toBe(2 * 3600000);
    expect(new ResetTokenSettings(5000).ttlMs).toBe(5000);
  });

  it('refuses a lifetime that is not a positive duration', () => {
    expect(() => new ResetTokenSettings('soon')).toThrow(
      /Invalid reset token lifetime/,
    );
    expect(() => new ResetTokenSettings(0)).toThrow(
      /Invalid reset token lifetime/,
    );
  });

  it('allows 5 wrong second-factor codes per link unless told otherwise, and refuses a count that is no whole number from 1 to 1000', () => {
    expect(new ResetTokenSettings().secondFactorAttempts).toBe(5);
    expect(new ResetTokenSettings('30m', 3).secondFactorAttempts).toBe(3);
    for (const attempts of [0, 2.5, 1001, Number.NaN])
      expect(() => new ResetTokenSettings('30m', attempts)).toThrow(
        /Invalid secondFactorAttempts/,
      );
  });
});
