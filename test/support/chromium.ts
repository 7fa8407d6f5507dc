import { SystemRequirement } from './debian-package';
import { isExecutableFile } from './executables';

// Where Debian, Ubuntu (deb and snap) and Google's packages put the browser.
const USUAL_CHROMIUM_PATHS = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/snap/bin/chromium',
];

/** The browser the browser test drives: `CHROMIUM_PATH`, else the first of the usual paths that exists. */
export const chromiumBrowser: SystemRequirement = {
  neededFor: 'The browser test needs Chromium',
  debianPackage: 'chromium',
  alternative: 'set CHROMIUM_PATH to a Chromium/Chrome executable',
  find: () =>
    [process.env.CHROMIUM_PATH, ...USUAL_CHROMIUM_PATHS].find(
      (path): path is string => !!path && isExecutableFile(path),
    ),
};
