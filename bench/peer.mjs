// better-auth, the peer the throughput is compared with: installed from the
// npm registry into bench/.peer/ (git-ignored; nothing of it is tracked) the
// first time, or when BENCH_PEER_VERSION changes, then started there from
// bench/peer-server.mjs.
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { ROOT, startScript } from './support.mjs';

const PEER_DIR = join(ROOT, 'bench/.peer');
/** Pinned, so that two runs compare with the same code; the latest release when this was written. */
export const PEER_VERSION = process.env.BENCH_PEER_VERSION || '1.7.25';
export const KNOWN_PASSWORD = 'a long benchmark password';

function installedVersion(name) {
  try {
    return JSON.parse(
      readFileSync(
        join(PEER_DIR, 'node_modules', name, 'package.json'),
        'utf8',
      ),
    ).version;
  } catch {
    return undefined;
  }
}

/**
 * better-sqlite3 is the v12 build this repository already has (linked, not
 * rebuilt: a build from source takes minutes where no prebuilt binary can be
 * downloaded; v13 crashes on Node 20).
 */
function install() {
  if (
    installedVersion('better-auth') === PEER_VERSION &&
    existsSync(join(PEER_DIR, 'node_modules/better-sqlite3'))
  )
    return;
  console.log(`  installing better-auth@${PEER_VERSION} into ${PEER_DIR} ...`);
  mkdirSync(PEER_DIR, { recursive: true });
  const manifest = {
    name: 'password-reset-bench-peer',
    private: true,
    type: 'module',
    dependencies: {
      'better-auth': PEER_VERSION,
      'better-sqlite3': 'file:../../node_modules/better-sqlite3',
    },
  };
  writeFileSync(
    join(PEER_DIR, 'package.json'),
    `${JSON.stringify(manifest, null, 2)}\n`,
  );
  execFileSync(
    'npm',
    ['install', '--no-audit', '--no-fund', '--loglevel=error'],
    { cwd: PEER_DIR, stdio: 'inherit' },
  );
  const version = installedVersion('better-auth');
  if (version !== PEER_VERSION)
    throw new Error(
      `better-auth ${PEER_VERSION} was asked for, ${version ?? 'nothing'} was installed`,
    );
}

/** The peer server, installed if need be, with `knownEmail` signed up; ready once its reset endpoint answers 200. */
export async function startPeerServer(knownEmail) {
  install();
  // Copied next to its node_modules, so that its imports resolve to the peer's install.
  const script = join(PEER_DIR, 'server.mjs');
  copyFileSync(join(ROOT, 'bench/peer-server.mjs'), script);
  return startScript({
    name: 'peer',
    script,
    env: {
      KNOWN_EMAIL: knownEmail,
      KNOWN_PASSWORD,
      AUTH_SECRET: 'bench-only-secret-'.padEnd(48, 'x'),
    },
    ready: {
      method: 'POST',
      path: '/api/auth/request-password-reset',
      body: JSON.stringify({ email: 'ready@example.com' }),
    },
  });
}

/** How many reset mails the peer's sendResetPassword was called for. */
export async function peerResetMails(server) {
  const response = await fetch(`${server.url}/bench/stats`);
  return (await response.json()).resetMailsRecorded;
}
