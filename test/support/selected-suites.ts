import { join } from 'node:path';
import { installMissingPackages, SystemRequirement } from './debian-package';

/** The fields of Jest's global config this reads (its TestPathPatterns, not imported: @jest/pattern is Jest's own). */
export interface SelectedTests {
  rootDir: string;
  testPathPatterns: {
    isSet(): boolean;
    toExecutor(options: { rootDir: string }): {
      isMatch(absolutePath: string): boolean;
    };
  };
}

/**
 * A project's global setup that installs, once per run and before any test
 * (no test timeout applies there), what the selected suites among these need
 * from the machine; a run that selects none of them installs nothing.
 */
export function installWhatSelectedSuitesNeed(
  requirementsOfSuites: Record<string, SystemRequirement[]>,
): (selected: SelectedTests) => void {
  return ({ rootDir, testPathPatterns }) => {
    const selects = (suite: string) =>
      !testPathPatterns.isSet() ||
      testPathPatterns.toExecutor({ rootDir }).isMatch(join(rootDir, suite));
    installMissingPackages(
      Object.entries(requirementsOfSuites)
        .filter(([suite]) => selects(suite))
        .flatMap(([, requirements]) => requirements),
    );
  };
}
