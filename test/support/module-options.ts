import type { PasswordResetModuleOptions } from '../../src/password-reset/interfaces/password-reset-module-options.interface';
import {
  resolveOptions,
  ResolvedPasswordResetOptions,
} from '../../src/password-reset/options/resolve-options';

export const TEST_JWT_SECRET = 'unit-test-secret-unit-test-secret-unit-test';

/** The options a provider of the module gets, for unit specs of one class: a valid set, the given options on top. */
export function resolvedOptions(
  given: Partial<PasswordResetModuleOptions> = {},
): ResolvedPasswordResetOptions {
  return resolveOptions(
    {
      userStore: {} as PasswordResetModuleOptions['userStore'],
      jwtSecret: TEST_JWT_SECRET,
      resetUrl: 'https://app.example.test/reset',
      ...given,
    },
    'test',
  );
}
