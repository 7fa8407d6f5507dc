// Nest 12 ships ES modules, while some of its ecosystem (throttler, mailer) is
// CommonJS that require()s them. Node 20 allows that, Jest on Node 20 does not,
// so Jest runs everything as CommonJS: our TypeScript through ts-jest, and the
// ESM-only packages through Babel (import.meta rewritten to its CJS equivalent).
// content-disposition: of @fastify/static, which Swagger UI on Fastify loads.
const esmOnlyPackages = [
  '@nestjs',
  'file-type',
  '@tokenizer',
  'strtok3',
  'token-types',
  'uint8array-extras',
  'content-disposition',
];

module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/src', '<rootDir>/test'],
  testMatch: ['**/*.spec.ts', '**/*.e2e-spec.ts'],
  // What some suites need from the machine (Chromium, …) is installed there, once, outside any test timeout.
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
    '^.+\\.m?js$': [
      'babel-jest',
      {
        babelrc: false,
        configFile: false,
        plugins: [
          ['babel-plugin-transform-import-meta', { module: 'ES6' }],
          '@babel/plugin-transform-dynamic-import',
          '@babel/plugin-transform-modules-commonjs',
        ],
      },
    ],
  },
  // Any package under node_modules but those, also where one is nested in another's node_modules.
  transformIgnorePatterns: [
    `^(?!.*/node_modules/(${esmOnlyPackages.join('|')})/).*/node_modules/`,
  ],
  testTimeout: 30000,
};
