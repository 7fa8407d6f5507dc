import ms, { type StringValue } from 'ms';

/** Token lifetime, parsed once from the module options. */
export class ResetTokenSettings {
  readonly ttlMs: number;

  constructor(ttl: number | string = '30m') {
    const parsed = typeof ttl === 'number' ? ttl : ms(ttl as StringValue);
    if (!Number.isFinite(parsed) || parsed <= 0) throw new Error(`Invalid reset token lifetime: ${String(ttl)}`);
    this.ttlMs = parsed;
  }
}
