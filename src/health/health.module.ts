import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { ThrottlerModule } from '@nestjs/throttler';
import { CachedHealthCheck } from './cached-health-check';
import { HealthController } from './health.controller';

/**
 * Per address, far above what a load balancer or an orchestrator probes
 * (Kubernetes' default is every 10 s). The IP is `req.ip`, so `TRUST_PROXY`
 * decides whether X-Forwarded-For counts, as for the module's own limits.
 */
const HEALTH_CHECKS_PER_MINUTE = 60;

@Module({
  imports: [TerminusModule, ThrottlerModule.forRoot([{ ttl: 60_000, limit: HEALTH_CHECKS_PER_MINUTE }])],
  controllers: [HealthController],
  providers: [CachedHealthCheck],
})
export class HealthModule {}
