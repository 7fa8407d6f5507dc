import { Controller, Get, HttpStatus, Res, UseGuards } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { HealthCheckResult, HealthIndicatorResult } from '@nestjs/terminus';
import { ThrottlerGuard } from '@nestjs/throttler';
import { CachedHealthCheck } from './cached-health-check';

/** Each dependency's status, without the reason it is down: that can name hosts and ports, and goes to the log. */
function statusesOf(indicators: Partial<HealthIndicatorResult> = {}): HealthIndicatorResult {
  return Object.fromEntries(Object.entries(indicators).map(([name, result]) => [name, { status: result!.status }]));
}

@Controller('health')
@UseGuards(ThrottlerGuard)
export class HealthController {
  constructor(
    private readonly health: CachedHealthCheck,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  /** 200 when the database answers, 503 when it does not. */
  @Get()
  async check(@Res({ passthrough: true }) res: unknown): Promise<HealthCheckResult> {
    const { status, info, error, details } = await this.health.result();
    this.adapterHost.httpAdapter.status(res, status === 'ok' ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE);
    return { status, info: statusesOf(info), error: statusesOf(error), details: statusesOf(details) };
  }
}
