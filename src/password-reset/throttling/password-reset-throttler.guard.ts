import {
  ExecutionContext,
  HttpStatus,
  Inject,
  Injectable,
} from '@nestjs/common';
import { HttpAdapterHost, Reflector } from '@nestjs/core';
import {
  ThrottlerGuard,
  ThrottlerLimitDetail,
  ThrottlerStorage,
} from '@nestjs/throttler';
import { httpError } from '../http/http-errors';
import { text } from '../i18n/text';
import type { ResolvedPasswordResetOptions } from '../options/resolve-options';
import {
  PASSWORD_RESET_RESOLVED_OPTIONS,
  PASSWORD_RESET_THROTTLER_STORAGE,
} from '../password-reset.constants';

/**
 * Per-IP limits of the module's routes, apart from any throttling the host
 * has: `lostPasswordPerMinute` for requests, `resetPasswordPerMinute` for each
 * of the routes that take a token (reset, check, the reset page); 0 switches a limit off. The IP is `req.ip`,
 * so `X-Forwarded-For` counts only where the app trusts its proxy.
 */
@Injectable()
export class PasswordResetThrottlerGuard extends ThrottlerGuard {
  constructor(
    @Inject(PASSWORD_RESET_RESOLVED_OPTIONS)
    { rateLimit: limits }: Pick<ResolvedPasswordResetOptions, 'rateLimit'>,
    @Inject(PASSWORD_RESET_THROTTLER_STORAGE) storage: ThrottlerStorage,
    reflector: Reflector,
    private readonly adapterHost: HttpAdapterHost,
  ) {
    const limitOf = (context: ExecutionContext) =>
      context.getHandler().name === 'lostPassword'
        ? limits.lostPasswordPerMinute
        : limits.resetPasswordPerMinute;
    super(
      // Named, so that a host's `SkipThrottle()` (its unnamed `default` throttler) leaves these limits in place.
      {
        throttlers: [{ name: 'password-reset', ttl: 60_000, limit: limitOf }],
        skipIf: (context) => limitOf(context) === 0,
        setHeaders: false,
      },
      storage,
      reflector,
    );
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
    throw httpError(
      HttpStatus.TOO_MANY_REQUESTS,
      'too_many_requests',
      text('errors.too_many_requests'),
    );
  }
}
