import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');

/** `npm run users`, as an operator types it, on an SQLite file of its own. */
function usersCli() {
  const cwd = mkdtempSync(join(tmpdir(), 'password-reset-cli-'));
  const env = {
    PATH: process.env.PATH,
    DATABASE_URL: `sqlite:${join(cwd, 'users.sqlite')}`,
  };
  return (...args: string[]) =>
    spawnSync('npm', ['run', '-s', '--prefix', ROOT, 'users', '--', ...args], {
      cwd,
      encoding: 'utf8',
      env,
    });
}

describe('npm run users', () => {
  it('runs the built CLI without compiling again when nothing changed (npm test has just built)', () => {
    execFileSync(
      process.execPath,
      [join(ROOT, 'scripts', 'build.mjs'), '--if-stale'],
      { cwd: ROOT },
    );
    const builtAt = statSync(join(ROOT, 'dist', '.built')).mtimeMs;
    const compiledAt = statSync(
      join(ROOT, 'dist', 'src', 'standalone', 'cli', 'users.js'),
    ).mtimeMs;
    expect(usersCli()('list').status).toBe(0);
    expect(statSync(join(ROOT, 'dist', '.built')).mtimeMs).toBe(builtAt);
    expect(
      statSync(join(ROOT, 'dist', 'src', 'standalone', 'cli', 'users.js'))
        .mtimeMs,
    ).toBe(compiledAt);
  });

  it.each([
    ['a display name', '"x"<attacker@evil.test>'],
    ['a list of addresses', 'alice@example.com, attacker@evil.test'],
    ['no domain', 'alice@'],
    ['spaces', 'alice @example.com'],
  ])('stores only a bare, valid e-mail address: refuses %s', (_case, email) => {
    const result = usersCli()(
      'add',
      '--username',
      'alice',
      '--email',
      email,
      '--password',
      'correct horse battery staple',
    );
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/single, bare address/);
  });

  it('adds a user with a plain address, and verify tells a matching password from another', () => {
    const run = usersCli();
    expect(
      run(
        'add',
        '--username',
        'alice',
        '--email',
        'Alice@Example.com',
        '--password',
        'correct horse battery staple',
      ).stdout,
    ).toMatch(/alice <alice@example.com>/);
    expect(
      run(
        'verify',
        '--username',
        'alice',
        '--password',
        'correct horse battery staple',
      ).status,
    ).toBe(0);
    expect(
      run(
        'verify',
        '--username',
        'alice',
        '--password',
        'something else entirely',
      ).status,
    ).toBe(1);
  });
});
