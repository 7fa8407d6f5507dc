// @ts-check
/**
 * Mutation testing of the code that holds the security rules (`npm run test:mutation`).
 * See docs/testing.md for what it runs, how long it takes and what survives.
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  // The mail outbox, delivery and composer (mail/), the request inbox and processor
  // (requests/) and the strength estimator's worker are left out: with them a
  // run takes well over the 45 minutes it may take on two busy cores. Their
  // specs run in `npm test`; mutate them on demand with `--mutate` (docs/testing.md).
  mutate: [
    'src/password-reset/tokens/reset-token.service.ts',
    'src/password-reset/account-limit/account-limit.service.ts',
    'src/password-reset/web/throttling/*.ts',
    'src/standalone/throttling/fallback-throttler-storage.ts',
    'src/password-reset/password-policy/password-policy.service.ts',
    'src/password-reset/web/pages/password-reset-pages.ts',
    '!src/**/*.spec.ts',
  ],
  testRunner: 'jest',
  jest: { projectType: 'custom', configFile: 'jest.stryker.config.js' },
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.json',
  coverageAnalysis: 'perTest',
  // Later runs test again only the mutants whose code or covering tests changed; `-- --force` tests all.
  incremental: true,
  incrementalFile: 'stryker-incremental.json',
  concurrency: 2,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  thresholds: { high: 90, low: 80, break: null },
};
