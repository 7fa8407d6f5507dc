// @ts-check
/**
 * Mutation testing of the code that holds the security rules (`npm run test:mutation`).
 * See docs/testing.md for what it runs, how long it takes and what survives.
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  mutate: [
    'src/password-reset/tokens/reset-token.service.ts',
    'src/password-reset/account-limit/account-limit.service.ts',
    'src/password-reset/throttling/*.ts',
    'src/password-reset/password-policy/*.ts',
    'src/password-reset/pages/password-reset-pages.ts',
    'src/password-reset/requests/*.ts',
    'src/password-reset/mail/mail-outbox.service.ts',
    '!src/**/*.spec.ts',
  ],
  testRunner: 'jest',
  jest: { projectType: 'custom', configFile: 'jest.stryker.config.js', enableFindRelatedTests: false },
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.json',
  coverageAnalysis: 'perTest',
  concurrency: 2,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  thresholds: { high: 90, low: 80, break: null },
};
