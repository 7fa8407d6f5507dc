import { ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { HttpAdapterHost, Reflector } from '@nestjs/core';
import {
  ThrottlerGuard,
  ThrottlerLimitDetail,
  ThrottlerStorage,
} from '@nestjs/throttler';
import { PasswordResetError } from '../../password-reset.error';
import { text } from '../../i18n/text';
import type { ResolvedPasswordResetOptions } from '../../options/resolve-options';
import {
  PASSWORD_RESET_RESOLVED_OPTIONS,
  PASSWORD_RESET_THROTTLER_STORAGE,
} from '../../password-reset.constants';

/** The module's per-IP limits, by their names in the `rateLimit` option. */
export type RateLimitName = Exclude<
  keyof ResolvedPasswordResetOptions['rateLimit'],
  'storage'
>;

/** Route metadata: the name of the limit that counts the route's requests. */
export const RATE_LIMIT = Symbol('PASSWORD_RESET_RATE_LIMIT');

function limitNameOf(
  reflector: Reflector,
  context: ExecutionContext,
): RateLimitName {
  const name = reflector.get<RateLimitName | undefined>(
    RATE_LIMIT,
    context.getHandler(),
  );
  if (!name)
    throw new Error(
      `${context.getClass().name}.${context.getHandler().name} is guarded by PasswordResetThrottlerGuard but names no limit: decorate it with RateLimited()`,
    );
  return name;
}

/**
 * Per-IP limits of the module's routes, apart from any throttling the host
 * has: each route names its limit (`RateLimited`), `lostPasswordPerMinute`
 * for requests, `resetPasswordPerMinute` for each of the routes that take a
 * token (reset, check, the reset page), and counts apart; 0 switches a limit
 * off. The IP is `req.ip`, so `X-Forwarded-For` counts only where the app
 * trusts its proxy.
 */
@Injectable()
export class PasswordResetThrottlerGuard extends ThrottlerGuard {
  private readonly limitOf: (context: ExecutionContext) => number;

  constructor(
    @Inject(PASSWORD_RESET_RESOLVED_OPTIONS)
    { rateLimit: limits }: Pick<ResolvedPasswordResetOptions, 'rateLimit'>,
    @Inject(PASSWORD_RESET_THROTTLER_STORAGE) storage: ThrottlerStorage,
    reflector: Reflector,
    private readonly adapterHost: HttpAdapterHost,
  ) {
    const limitOf = (context: ExecutionContext) =>
      limits[limitNameOf(reflector, context)];
    super(
      // Named, so that a host's `SkipThrottle()` (its unnamed `default` throttler) leaves these limits in place.
      {
        throttlers: [{ name: 'password-reset', ttl: 60_000, limit: limitOf }],
        setHeaders: false,
      },
      storage,
      reflector,
    );
    this.limitOf = limitOf;
  }

  /** A route whose limit is off costs no more than reading its name: the throttler's own checks read a dozen metadata keys. */
  async canActivate(context: ExecutionContext): Promise<boolean> {
    return this.limitOf(context) === 0 || super.canActivate(context);
  }

  protected async throwThrottlingException(
    context: ExecutionContext,
    limit: ThrottlerLimitDetail,
  ): Promise<void> {
    this.adapterHost.httpAdapter.setHeader(
      context.switchToHttp().getResponse(),
      'Retry-After',
      String(limit.timeToBlockExpire),
    );
    throw new PasswordResetError(
      'too_many_requests',
      text('errors.too_many_requests'),
    );
  }
}
