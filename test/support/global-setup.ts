import { join } from 'node:path';
import { chromiumBrowser } from './chromium';
import { installMissingPackages, SystemRequirement } from './debian-package';
import { pythonWithRequests } from './python-requests';
import { opensslCommand } from './self-signed-certificate';

/** The fields of Jest's global config this reads (its TestPathPatterns, not imported: @jest/pattern is Jest's own). */
interface SelectedTests {
  rootDir: string;
  testPathPatterns: {
    isSet(): boolean;
    toExecutor(options: { rootDir: string }): {
      isMatch(absolutePath: string): boolean;
    };
  };
}

const REQUIREMENTS_OF_SUITES: Array<{
  suite: string;
  requirements: SystemRequirement[];
}> = [
  {
    suite: 'test/browser/reset-flow.e2e-spec.ts',
    requirements: [chromiumBrowser],
  },
  {
    suite: 'test/browser/translated-pages.e2e-spec.ts',
    requirements: [chromiumBrowser],
  },
  {
    suite: 'test/e2e/https.e2e-spec.ts',
    requirements: [opensslCommand, pythonWithRequests],
  },
];

/**
 * Installs, once per run and before any test (no test timeout applies here),
 * what the selected suites need from the machine; a run without those suites
 * installs nothing.
 */
export default function installWhatSelectedSuitesNeed({
  rootDir,
  testPathPatterns,
}: SelectedTests): void {
  const selects = (suite: string) =>
    !testPathPatterns.isSet() ||
    testPathPatterns.toExecutor({ rootDir }).isMatch(join(rootDir, suite));
  installMissingPackages(
    REQUIREMENTS_OF_SUITES.filter(({ suite }) => selects(suite)).flatMap(
      ({ requirements }) => requirements,
    ),
  );
}
