import { applyDecorators, SetMetadata, UseGuards } from '@nestjs/common';
import {
  PasswordResetThrottlerGuard,
  RATE_LIMIT,
  RateLimitName,
} from './password-reset-throttler.guard';

/** Counts the route's requests per IP against the module's limit of that name. */
export function RateLimited(limit: RateLimitName): MethodDecorator {
  return applyDecorators(
    SetMetadata(RATE_LIMIT, limit),
    UseGuards(PasswordResetThrottlerGuard),
  );
}
