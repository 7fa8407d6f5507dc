import {
  Inject,
  Injectable,
  ServiceUnavailableException,
} from '@nestjs/common';
import {
  HealthCheckResult,
  HealthCheckService,
  HealthIndicatorService,
  TypeOrmHealthIndicator,
} from '@nestjs/terminus';
import { DATABASE_TIMEOUT_MS } from '../database/database-options';
import type { DependencyProbe } from './dependency-probes';

export const DEPENDENCY_PROBES = Symbol('DEPENDENCY_PROBES');

/** How long one answer of the database serves every request to /health. */
const FRESH_FOR_MS = 1000;

interface Check {
  result: Promise<HealthCheckResult>;
  settledAt?: number;
}

/**
 * The database's state, asked at most once a second and never twice at once,
 * so that a flood of /health requests costs the database one ping a second.
 * A failed check is logged by terminus, with its reason, once per ping.
 */
@Injectable()
export class CachedHealthCheck {
  private latest?: Check;

  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    @Inject(DEPENDENCY_PROBES) private readonly probes: DependencyProbe[],
  ) {}

  result(): Promise<HealthCheckResult> {
    const latest = this.latest;
    if (
      latest &&
      (latest.settledAt === undefined ||
        Date.now() - latest.settledAt < FRESH_FOR_MS)
    )
      return latest.result;
    const check: Check = { result: this.check() };
    const settle = () => (check.settledAt = Date.now());
    check.result.then(settle, settle);
    this.latest = check;
    return check.result;
  }

  private async check(): Promise<HealthCheckResult> {
    try {
      // Not given up before the query itself times out, so that a hung database holds one ping at most.
      return await this.health.check([
        () =>
          this.database.pingCheck('database', { timeout: DATABASE_TIMEOUT_MS }),
        ...this.probes.map((probe) => async () => {
          const indicator = this.indicators.check(probe.name);
          return (await probe.isUp()) ? indicator.up() : indicator.down();
        }),
      ]);
    } catch (error) {
      if (error instanceof ServiceUnavailableException)
        return error.getResponse() as HealthCheckResult;
      throw error;
    }
  }
}
