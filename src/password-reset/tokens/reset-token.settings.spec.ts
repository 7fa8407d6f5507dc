import { ResetTokenSettings } from './reset-token.settings';

describe('ResetTokenSettings', () => {
  it('defaults to 30 minutes and reads durations such as 2h or milliseconds', () => {
    expect(new ResetTokenSettings().ttlMs).toBe(30 * 60000);
    expect(new ResetTokenSettings('2h').ttlMs).toBe(2 * 3600000);
    expect(new ResetTokenSettings(5000).ttlMs).toBe(5000);
  });

  it('refuses a lifetime that is not a positive duration', () => {
    expect(() => new ResetTokenSettings('soon')).toThrow(/Invalid reset token lifetime/);
    expect(() => new ResetTokenSettings(0)).toThrow(/Invalid reset token lifetime/);
  });
});
