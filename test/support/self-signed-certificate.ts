import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { required, SystemRequirement } from './debian-package';
import { findOnPath } from './executables';

export const opensslCommand: SystemRequirement = {
  neededFor: 'The HTTPS test makes its certificate with the openssl command',
  debianPackage: 'openssl',
  alternative: 'put an openssl executable on PATH',
  find: () => findOnPath('openssl'),
};

export interface CertificateFiles {
  certFile: string;
  keyFile: string;
}

/** A self-signed certificate for localhost and 127.0.0.1, which a client trusts by taking it as its CA. */
export function makeSelfSignedCertificate(directory: string): CertificateFiles {
  const files = {
    certFile: join(directory, 'localhost.crt'),
    keyFile: join(directory, 'localhost.key'),
  };
  execFileSync(
    required(opensslCommand),
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout',
      files.keyFile,
      '-out',
      files.certFile,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  return files;
}
