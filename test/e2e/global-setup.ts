import { pythonWithRequests } from '../support/python-requests';
import { opensslCommand } from '../support/self-signed-certificate';
import { installWhatSelectedSuitesNeed } from '../support/selected-suites';

export default installWhatSelectedSuitesNeed({
  'test/e2e/https.e2e-spec.ts': [opensslCommand, pythonWithRequests],
});
