import { execFileSync } from 'node:child_process';
import { SystemRequirement } from './debian-package';
import { findOnPath } from './executables';

function canImportRequests(python: string): boolean {
  try {
    execFileSync(python, ['-c', 'import requests'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * A python3 that has the `requests` library: the one on PATH, else Debian's,
 * which is where `python3-requests` installs it when the one on PATH is another
 * (pyenv, a virtualenv).
 */
export const pythonWithRequests: SystemRequirement = {
  neededFor:
    "The HTTPS test needs python3 with the requests library (it runs the Tangerine365 API document's Python client)",
  debianPackage: 'python3-requests',
  alternative: 'run `pip install requests` for the python3 on PATH',
  find: () =>
    [findOnPath('python3'), '/usr/bin/python3'].find(
      (python): python is string => !!python && canImportRequests(python),
    ),
};
