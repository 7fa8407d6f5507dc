import { chromiumBrowser } from '../support/chromium';
import { installMissingPackages } from '../support/debian-package';

/** Every suite here drives Chromium, and Jest runs this only when one of them is selected. */
export default function installChromium(): void {
  installMissingPackages([chromiumBrowser]);
}
