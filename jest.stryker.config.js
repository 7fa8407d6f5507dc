// The suites Stryker runs for each mutant: the unit project of jest.config.js,
// the specs beside the code, which exercise one class on an in-memory database
// in milliseconds. The e2e suites start servers and wait on real time; a
// mutation run through them would take hours on the two cores this project has
// (see docs/testing.md). Stryker's Jest runner takes one project, not several.
const { projects, ...everyProject } = require('./jest.config');

// PostgreSQL too, for the row locks that hold the per-account limit across
// instances: SQLite, which the specs use otherwise, locks no rows.
process.env.TEST_DATABASES ??= 'sqlite,postgres';

module.exports = {
  ...everyProject,
  ...projects.find((project) => project.displayName === 'unit'),
};
