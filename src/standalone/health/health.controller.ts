import { Controller, Get, HttpStatus, Res, UseGuards } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { HealthCheckResult, HealthIndicatorResult } from '@nestjs/terminus';
import { ThrottlerGuard } from '@nestjs/throttler';
import { CachedHealthCheck } from './cached-health-check';

/** Each dependency's status, without the reason it is down: that can name hosts and ports, and goes to the log. */
function statusesOf(
  indicators: Partial<HealthIndicatorResult> = {},
): HealthIndicatorResult {
  return Object.fromEntries(
    Object.entries(indicators).map(([name, result]) => [
      name,
      { status: result!.status },
    ]),
  );
}

@Controller('health')
@UseGuards(ThrottlerGuard)
export class HealthController {
  constructor(
    private readonly health: CachedHealthCheck,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  /**
   * 200 when the database answers, 503 when it does not: without it nothing
   * is accepted. A mail server or Redis that is down is named, but leaves the
   * instance serving: requests are still recorded (mail waits in the queue),
   * and the per-IP limits count in memory.
   */
  @Get()
  async check(
    @Res({ passthrough: true }) res: unknown,
  ): Promise<HealthCheckResult> {
    const { info, error, details } = await this.health.result();
    const databaseUp = details.database?.status === 'up';
    this.adapterHost.httpAdapter.status(
      res,
      databaseUp ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE,
    );
    return {
      status: databaseUp ? 'ok' : 'error',
      info: statusesOf(info),
      error: statusesOf(error),
      details: statusesOf(details),
    };
  }
}
