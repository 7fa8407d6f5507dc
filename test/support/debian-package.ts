import { execFileSync } from 'node:child_process';
import { findOnPath } from './executables';

/** Something a test needs from the machine that Debian packages, and how to find it. */
export interface SystemRequirement {
  /** Opens the sentence a test fails with, e.g. "The browser test needs Chromium". */
  neededFor: string;
  debianPackage: string;
  /** Another way to provide it, ending that sentence. */
  alternative: string;
  /** Its path, or undefined when the machine lacks it. */
  find(): string | undefined;
}

/** What the test needs, or an error saying in one sentence what to install. */
export function required({
  neededFor,
  debianPackage,
  alternative,
  find,
}: SystemRequirement): string {
  const found = find();
  if (found === undefined)
    throw new Error(
      `${neededFor}: install Debian's \`${debianPackage}\` package (apt-get install ${debianPackage}) or ${alternative}.`,
    );
  return found;
}

function aptGet(args: string[]): void {
  // Another apt run on the machine holds the lock for a while; wait for it rather than fail.
  execFileSync('apt-get', ['-o', 'DPkg::Lock::Timeout=300', ...args], {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}

/**
 * Installs the Debian packages of the requirements that are not met, in one apt
 * run, when this is root on a machine with apt-get. Anything else is left to the
 * tests that need it, which then fail saying what to install.
 */
export function installMissingPackages(
  requirements: SystemRequirement[],
): void {
  const packages = [
    ...new Set(
      requirements
        .filter((requirement) => requirement.find() === undefined)
        .map((requirement) => requirement.debianPackage),
    ),
  ];
  if (
    packages.length === 0 ||
    process.getuid?.() !== 0 ||
    !findOnPath('apt-get')
  )
    return;
  const started = Date.now();
  console.log(
    `Installing Debian's ${packages.join(', ')} (apt-get) for the selected test suites…`,
  );
  try {
    aptGet(['update', '-qq']);
    aptGet(['install', '-y', '-qq', ...packages]);
  } catch (error) {
    console.warn(
      `apt-get could not install ${packages.join(', ')}: ${(error as { stderr?: Buffer }).stderr?.toString().trim() || (error as Error).message}`,
    );
    return;
  }
  console.log(
    `Installed ${packages.join(', ')} in ${((Date.now() - started) / 1000).toFixed(1)} s.`,
  );
}
