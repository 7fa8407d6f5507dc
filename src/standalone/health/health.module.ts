import { DynamicModule, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { ThrottlerModule } from '@nestjs/throttler';
import { CachedHealthCheck, DEPENDENCY_PROBES } from './cached-health-check';
import { DependencyProbe, RedisProbe, SmtpProbe } from './dependency-probes';
import { HealthController } from './health.controller';

/**
 * Per address, far above what a load balancer or an orchestrator probes
 * (Kubernetes' default is every 10 s). The IP is `req.ip`, so `TRUST_PROXY`
 * decides whether X-Forwarded-For counts, as for the module's own limits.
 */
const HEALTH_CHECKS_PER_MINUTE = 60;

@Module({})
export class HealthModule {
  /** `/health` asks the database, and the SMTP server and Redis where the server uses them. */
  static forDependencies(dependencies: {
    smtpUrl?: string;
    redisUrl?: string;
  }): DynamicModule {
    const probes: DependencyProbe[] = [];
    if (dependencies.smtpUrl) probes.push(new SmtpProbe(dependencies.smtpUrl));
    if (dependencies.redisUrl)
      probes.push(new RedisProbe(dependencies.redisUrl));
    return {
      module: HealthModule,
      imports: [
        TerminusModule,
        ThrottlerModule.forRoot([
          { ttl: 60_000, limit: HEALTH_CHECKS_PER_MINUTE },
        ]),
      ],
      controllers: [HealthController],
      providers: [
        CachedHealthCheck,
        { provide: DEPENDENCY_PROBES, useValue: probes },
        ...probes.map((probe) => ({
          provide: probe.constructor,
          useValue: probe,
        })),
      ],
    };
  }
}
