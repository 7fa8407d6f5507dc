import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Clock } from '../clock';
import {
  BreachCheckFailure,
  PasswordResetMetrics,
} from '../metrics/password-reset-metrics';
import type { ResolvedPasswordResetOptions } from '../options/resolve-options';
import {
  PASSWORD_RESET_CLOCK,
  PASSWORD_RESET_RESOLVED_OPTIONS,
} from '../password-reset.constants';

/** The list changes over months; five minutes spares the service repeated questions about one range during a burst. */
const RANGE_CACHE_MS = 5 * 60 * 1000;
const RANGE_CACHE_SIZE = 1000;
const RANGE_LINE = /^([0-9A-F]{35}):(\d+)$/;

const isTimeout = (error: unknown) =>
  (error as { name?: string } | null)?.name === 'TimeoutError';

/** A check that could not be made, with the reason the metrics count it under. */
class RangeServiceFailure extends Error {
  constructor(
    readonly reason: BreachCheckFailure,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Asks a Pwned Passwords range service whether a password appeared in a data
 * breach. Only the first five hex digits of its SHA-1 leave the server (with
 * `Add-Padding: true`, so that the answer's size says nothing either); the
 * match against the rest happens here. A service that is down, slow or
 * answers nonsense lets the password through, with a warning and a count in
 * the metrics: its outage must not stop resets, and must not go unnoticed.
 */
@Injectable()
export class BreachedPasswords {
  private readonly logger = new Logger('PasswordResetPolicy');
  /** The range service, if the policy has one. */
  private readonly service?: { rangeUrl: string; timeoutMs: number };
  /** Breached suffixes by prefix, in insertion order, so that the oldest goes first. */
  private readonly ranges = new Map<
    string,
    { suffixes: Set<string>; until: number }
  >();

  constructor(
    @Inject(PASSWORD_RESET_RESOLVED_OPTIONS)
    options: Pick<ResolvedPasswordResetOptions, 'passwordPolicy'>,
    @Inject(PASSWORD_RESET_CLOCK) private readonly clock: Clock,
    private readonly metrics: PasswordResetMetrics,
  ) {
    this.service = options.passwordPolicy.breached;
  }

  /** True when the service lists the password; false when it does not, or could not be asked. */
  async includes(password: string): Promise<boolean> {
    if (!this.service) return false;
    const digest = createHash('sha1')
      .update(password, 'utf8')
      .digest('hex')
      .toUpperCase();
    const prefix = digest.slice(0, 5);
    try {
      return (await this.range(prefix)).has(digest.slice(5));
    } catch (error) {
      this.logger.warn(
        `Breached-password check skipped, the password is let through: ${error instanceof Error ? error.message : String(error)}`,
      );
      this.metrics.breachCheckFailed(
        error instanceof RangeServiceFailure ? error.reason : 'malformed',
      );
      return false;
    }
  }

  private async range(prefix: string): Promise<Set<string>> {
    const now = this.clock.now();
    const cached = this.ranges.get(prefix);
    if (cached && cached.until > now) return cached.suffixes;
    const suffixes = await this.fetchRange(prefix);
    this.ranges.delete(prefix);
    if (this.ranges.size >= RANGE_CACHE_SIZE)
      this.ranges.delete(this.ranges.keys().next().value!);
    this.ranges.set(prefix, { suffixes, until: now + RANGE_CACHE_MS });
    return suffixes;
  }

  private async fetchRange(prefix: string): Promise<Set<string>> {
    const body = await this.ask(prefix);
    const lines = body.split(/\r?\n/).filter((line) => line !== '');
    // A padded answer is never empty; an empty one is no answer.
    if (lines.length === 0)
      throw new RangeServiceFailure(
        'malformed',
        'the range service answered nothing',
      );
    const suffixes = new Set<string>();
    for (const line of lines) {
      const match = RANGE_LINE.exec(line.trim().toUpperCase());
      if (!match)
        throw new RangeServiceFailure(
          'malformed',
          'the range service answered something that is not SUFFIX:COUNT lines',
        );
      // Padding lines have the count 0.
      if (Number(match[2]) > 0) suffixes.add(match[1]);
    }
    return suffixes;
  }

  /** The answer's text; the deadline covers reading it too. */
  private async ask(prefix: string): Promise<string> {
    const { rangeUrl, timeoutMs } = this.service!;
    let response: Response;
    try {
      response = await fetch(`${rangeUrl}/range/${prefix}`, {
        headers: { 'Add-Padding': 'true' },
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (response.ok) return await response.text();
    } catch (error) {
      throw new RangeServiceFailure(
        isTimeout(error) ? 'timeout' : 'unreachable',
        `the range service could not be asked: ${this.describe(error)}`,
      );
    }
    await response.body?.cancel();
    throw new RangeServiceFailure(
      'unreachable',
      `the range service answered ${response.status}`,
    );
  }

  private describe(error: unknown): string {
    if (isTimeout(error))
      return `no answer within ${this.service!.timeoutMs} ms`;
    const { message, cause } = error as Error & {
      cause?: { code?: string; message?: string };
    };
    return cause ? `${message} (${cause.code ?? cause.message})` : message;
  }
}
