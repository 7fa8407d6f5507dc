import { Controller, Get, HttpStatus, Res, VERSION_NEUTRAL } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { PasswordResetMetrics } from './password-reset-metrics';

/** `GET /metrics`, mounted only with the `metrics` option. */
@Controller({ path: 'metrics', version: VERSION_NEUTRAL })
export class MetricsController {
  constructor(
    private readonly metrics: PasswordResetMetrics,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  @Get()
  async scrape(@Res() res: unknown): Promise<void> {
    const { contentType, text } = await this.metrics.scrape();
    this.adapterHost.httpAdapter.setHeader(res, 'Content-Type', contentType);
    this.adapterHost.httpAdapter.reply(res, text, HttpStatus.OK);
  }
}
