import ms, { type StringValue } from 'ms';

/** Token lifetime and the wrong second-factor codes a link allows, parsed once from the module options. */
export class ResetTokenSettings {
  readonly ttlMs: number;

  constructor(
    ttl: number | string = '30m',
    readonly secondFactorAttempts = 5,
  ) {
    const parsed = typeof ttl === 'number' ? ttl : ms(ttl as StringValue);
    if (!Number.isFinite(parsed) || parsed <= 0)
      throw new Error(`Invalid reset token lifetime: ${String(ttl)}`);
    if (
      !Number.isInteger(secondFactorAttempts) ||
      secondFactorAttempts < 1 ||
      secondFactorAttempts > 1000
    )
      throw new Error(
        `Invalid secondFactorAttempts: ${String(secondFactorAttempts)}`,
      );
    this.ttlMs = parsed;
  }
}
