import { ExecutionContext } from '@nestjs/common';
import { HttpAdapterHost, Reflector } from '@nestjs/core';
import { ThrottlerStorageService } from '@nestjs/throttler';
import { PasswordResetError } from '../../password-reset.error';
import { errorBody } from '../http/error-answer';
import { inEnglish } from '../../i18n/i18n-instances';
import type { PasswordResetModuleOptions } from '../../interfaces/password-reset-module-options.interface';
import { PasswordResetThrottlerGuard } from './password-reset-throttler.guard';
import { RateLimited } from './rate-limited.decorator';
import { resolvedOptions } from '../../../../test/support/module-options';

/** Handlers named unlike the module's: only the limit each names decides how it is counted. */
class Routes {
  @RateLimited('lostPasswordPerMinute')
  askForLink(): void {}

  @RateLimited('resetPasswordPerMinute')
  useLink(): void {}

  namesNoLimit(): void {}
}

const LIMIT_OF_ROUTE = {
  lostPassword: 'askForLink',
  resetPassword: 'useLink',
  none: 'namesNoLimit',
} as const;

describe('PasswordResetThrottlerGuard', () => {
  let storage: ThrottlerStorageService;
  let headersSet: Array<[unknown, string, string]>;
  let response: { setHeader: jest.Mock; header: jest.Mock };

  beforeEach(() => {
    storage = new ThrottlerStorageService();
    jest.spyOn(storage, 'increment');
    headersSet = [];
    response = { setHeader: jest.fn(), header: jest.fn() };
  });
  afterEach(() => storage.onApplicationShutdown());

  const guardWith = async (
    rateLimit?: PasswordResetModuleOptions['rateLimit'],
  ) => {
    const adapterHost = {
      httpAdapter: {
        setHeader: (res: unknown, name: string, value: string) =>
          headersSet.push([res, name, value]),
      },
    } as unknown as HttpAdapterHost;
    const guard = new PasswordResetThrottlerGuard(
      resolvedOptions({ rateLimit }),
      storage,
      new Reflector(),
      adapterHost,
    );
    await guard.onModuleInit();
    return guard;
  };
  const requestTo = (route: keyof typeof LIMIT_OF_ROUTE, ip = '192.0.2.1') =>
    ({
      getHandler: () => Routes.prototype[LIMIT_OF_ROUTE[route]],
      getClass: () => Routes,
      switchToHttp: () => ({
        getRequest: () => ({ ip, headers: {} }),
        getResponse: () => response,
      }),
    }) as unknown as ExecutionContext;
  const allowedOf = async (
    guard: PasswordResetThrottlerGuard,
    context: ExecutionContext,
    times: number,
  ) => {
    let allowed = 0;
    for (let request = 0; request < times; request++) {
      if (await guard.canActivate(context).catch(() => false)) allowed += 1;
    }
    return allowed;
  };

  it('allows 10 requests for a link and 30 for each token route a minute from one address by default', async () => {
    const guard = await guardWith();
    expect(await allowedOf(guard, requestTo('lostPassword'), 12)).toBe(10);
    expect(await allowedOf(guard, requestTo('resetPassword'), 32)).toBe(30);
    expect(storage.increment).toHaveBeenCalledWith(
      expect.any(String),
      60_000,
      10,
      60_000,
      'password-reset',
    );
  });

  it('refuses a route that names no limit, rather than guess one', async () => {
    const guard = await guardWith();
    await expect(guard.canActivate(requestTo('none'))).rejects.toThrow(
      'Routes.namesNoLimit is guarded by PasswordResetThrottlerGuard but names no limit',
    );
  });

  it('counts each address apart', async () => {
    const guard = await guardWith({ lostPasswordPerMinute: 1 });
    expect(
      await allowedOf(guard, requestTo('lostPassword', '192.0.2.1'), 2),
    ).toBe(1);
    expect(
      await allowedOf(guard, requestTo('lostPassword', '192.0.2.2'), 2),
    ).toBe(1);
  });

  it('takes the limits from the options, where 0 switches one off', async () => {
    const guard = await guardWith({
      lostPasswordPerMinute: 0,
      resetPasswordPerMinute: 2,
    });
    expect(await allowedOf(guard, requestTo('lostPassword'), 50)).toBe(50);
    expect(await allowedOf(guard, requestTo('resetPassword'), 5)).toBe(2);
  });

  it('refuses past the limit with 429 too_many_requests and Retry-After in seconds, and no rate-limit headers of its own', async () => {
    const guard = await guardWith({ lostPasswordPerMinute: 1 });
    await guard.canActivate(requestTo('lostPassword'));
    const refusal = await guard
      .canActivate(requestTo('lostPassword'))
      .catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(PasswordResetError);
    expect(errorBody(refusal as PasswordResetError, inEnglish)).toEqual({
      statusCode: 429,
      error: 'Too Many Requests',
      message: inEnglish({ key: 'errors.too_many_requests' }),
      code: 'too_many_requests',
    });
    expect(inEnglish({ key: 'errors.too_many_requests' })).not.toBe(
      'errors.too_many_requests',
    );
    expect(headersSet).toEqual([[response, 'Retry-After', '60']]);
    expect(response.setHeader).not.toHaveBeenCalled();
    expect(response.header).not.toHaveBeenCalled();
  });
});
