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

/** What every project shares: how the code is compiled for Jest. */
const compiled = {
  testEnvironment: 'node',
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
};

// Three projects, each run alone with `jest --selectProjects <name>`. What a
// project's suites need from the machine (Chromium, openssl, …) its global
// setup installs, once, outside any test timeout; Jest runs a project's
// global setup only when a suite of that project is selected.
module.exports = {
  projects: [
    {
      ...compiled,
      // One class each, on an in-memory database with a clock the test sets: seconds, and nothing built.
      displayName: 'unit',
      roots: ['<rootDir>/src'],
      testMatch: ['**/*.spec.ts'],
    },
    {
      ...compiled,
      // Through HTTP against a real database and SMTP server; some start the built server in dist/.
      displayName: 'e2e',
      roots: ['<rootDir>/test/e2e'],
      testMatch: ['**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/e2e/global-setup.ts',
    },
    {
      ...compiled,
      // Chromium through the pages of the built server.
      displayName: 'browser',
      roots: ['<rootDir>/test/browser'],
      testMatch: ['**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/browser/global-setup.ts',
    },
  ],
  testTimeout: 30000,
};
