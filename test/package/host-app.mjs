import { execFile, spawn } from 'node:child_process';
import { cp, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

// `npm run` exports the repository's npm settings and package as npm_*
// variables (its local prefix, include, allow-scripts, …), which are not the
// hosts': their npm reads its settings from the usual files instead.
const cleanEnvironment = Object.fromEntries(
  Object.entries(process.env).filter(
    ([name]) => !name.toLowerCase().startsWith('npm_'),
  ),
);

async function timed(step) {
  const started = performance.now();
  await step();
  return Math.round(performance.now() - started) / 1000;
}

async function runIn(directory, command, args, environment = {}) {
  try {
    return await run(command, args, {
      cwd: directory,
      env: { ...cleanEnvironment, ...environment },
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (error) {
    throw new Error(
      `\`${command} ${args.join(' ')}\` failed in ${directory}:\n${error.stderr || error.stdout || error.message}`,
    );
  }
}

/** Runs a script the host compiled (`dist/…`) to its end: what it printed. */
export async function runHostScript(directory, script, environment) {
  const { stdout } = await runIn(
    directory,
    process.execPath,
    [script],
    environment,
  );
  return stdout;
}

/** The example's package.json with the combination's versions, and the packed module instead of the registry's. */
async function writeManifest(directory, combination, tarball) {
  const manifest = JSON.parse(
    await readFile(join(directory, 'package.json'), 'utf8'),
  );
  for (const section of ['dependencies', 'devDependencies']) {
    for (const [name, version] of Object.entries(combination[section] ?? {})) {
      if (version === null) delete manifest[section][name];
      else manifest[section][name] = version;
    }
  }
  manifest.dependencies['nestjs-password-reset'] = `file:${tarball}`;
  await writeFile(
    join(directory, 'package.json'),
    `${JSON.stringify(manifest, null, 2)}\n`,
  );
}

/** Replaces each `[from, to]` once; a `from` the file no longer holds is an error, not a host quietly left as the example. */
async function editFile(path, edits) {
  let text = await readFile(path, 'utf8');
  for (const [from, to] of edits) {
    if (!text.includes(from))
      throw new Error(`${path} does not hold ${JSON.stringify(from)}`);
    text = text.replace(from, () => to);
  }
  await writeFile(path, text);
}

/**
 * A copy of examples/host-app for one combination, installed from the registry
 * (devDependencies too, whatever NODE_ENV says: the host compiles with tsc) and built.
 */
export async function buildHost({ example, combination, tarball, directory }) {
  await cp(example, directory, {
    recursive: true,
    filter: (path) => !/\/(node_modules|dist|var)$|\.sqlite$/.test(path),
  });
  await writeManifest(directory, combination, tarball);
  for (const [path, text] of Object.entries(combination.files ?? {}))
    await writeFile(join(directory, path), text);
  for (const [path, edits] of Object.entries(combination.edits ?? {}))
    await editFile(join(directory, path), edits);
  const installSeconds = await timed(() =>
    runIn(directory, 'npm', [
      'install',
      '--include=dev',
      '--no-audit',
      '--no-fund',
    ]),
  );
  const buildSeconds = await timed(() =>
    runIn(directory, 'npx', ['--no-install', 'tsc', '-p', 'tsconfig.json']),
  );
  return { directory, installSeconds, buildSeconds };
}

/** `npm ls` must exit 0, and there must be one copy of each package named. */
export async function installedCopies(directory, names) {
  await runIn(directory, 'npm', ['ls']);
  const { stdout } = await runIn(directory, 'npm', [
    'ls',
    '--all',
    '--parseable',
    ...names,
  ]);
  const paths = [...new Set(stdout.split('\n').filter(Boolean))];
  return Object.fromEntries(
    names.map((name) => [
      name,
      paths.filter((path) => path.endsWith(`/node_modules/${name}`)),
    ]),
  );
}

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The built host's process on a free port; its output is kept for failure messages. */
async function spawnHost(directory, environment) {
  const port = await freePort();
  const child = spawn(process.execPath, ['dist/main.js'], {
    cwd: directory,
    env: { ...cleanEnvironment, ...environment, PORT: String(port) },
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return {
    url: `http://127.0.0.1:${port}`,
    output: () => output,
    exitCode: () => child.exitCode,
    exited,
    async stop() {
      if (child.exitCode === null) child.kill();
      await exited;
    },
  };
}

/** Starts the built host and waits until it answers HTTP. */
export async function startHost(directory, environment) {
  const host = await spawnHost(directory, environment);
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (host.exitCode() !== null)
      throw new Error(
        `the host exited with code ${host.exitCode()} before it answered:\n${host.output()}`,
      );
    if (Date.now() > deadline) {
      await host.stop();
      throw new Error(`the host did not answer within 60 s:\n${host.output()}`);
    }
    try {
      await fetch(host.url);
      return host;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** Starts the built host, expected not to start: its exit code and output, once it has exited (within 60 s, or it is stopped and that is an error). */
export async function failedStart(directory, environment) {
  const host = await spawnHost(directory, environment);
  const timedOut = Symbol('timed out');
  const outcome = await Promise.race([
    host.exited,
    new Promise((resolve) => setTimeout(resolve, 60_000, timedOut).unref()),
  ]);
  if (outcome === timedOut) {
    await host.stop();
    throw new Error(`the host was still running after 60 s:\n${host.output()}`);
  }
  return { code: host.exitCode(), output: host.output() };
}
