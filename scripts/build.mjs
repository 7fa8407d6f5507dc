// Builds dist/ with the TypeScript compiler and copies the templates beside the
// compiled code. Outputs whose source is gone are deleted, and the directories
// they leave empty, so that `npm pack` (its prepack runs this) never ships code
// that no longer exists. With --if-stale it does nothing when no input changed
// since the last build, so that `npm start` and `npm run users` on a built tree
// start at once instead of compiling every time.
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const stamp = join(root, 'dist', '.built');
const inputs = [
  'src',
  'ormconfig.ts',
  'tsconfig.json',
  'tsconfig.build.json',
  'package.json',
];
const asset = /\.(hbs|txt|css)$/;
const compiledOutput = /\.(js|js\.map|d\.ts)$/;

function* filesUnder(path) {
  const stats = statSync(path);
  if (!stats.isDirectory()) yield { path, modifiedMs: stats.mtimeMs };
  else
    for (const entry of readdirSync(path)) yield* filesUnder(join(path, entry));
}

/** Removes the directories under `path` that hold no file, such as those a moved source left behind. */
function removeEmptyDirectories(path) {
  for (const entry of readdirSync(path, { withFileTypes: true }))
    if (entry.isDirectory()) removeEmptyDirectories(join(path, entry.name));
  if (readdirSync(path).length === 0) rmSync(path, { recursive: true });
}

function newestInputMs() {
  let newest = 0;
  for (const input of inputs)
    for (const { modifiedMs } of filesUnder(join(root, input)))
      newest = Math.max(newest, modifiedMs);
  return newest;
}

if (
  process.argv.includes('--if-stale') &&
  existsSync(stamp) &&
  statSync(stamp).mtimeMs >= newestInputMs()
)
  process.exit(0);

// The stamp carries the time the build began, so that a file saved during the build counts as newer.
const began = new Date();
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], {
  cwd: root,
  stdio: 'inherit',
});
for (const { path } of filesUnder(join(root, 'src'))) {
  if (!asset.test(path)) continue;
  const target = join(root, 'dist', relative(root, path));
  mkdirSync(dirname(target), { recursive: true });
  cpSync(path, target);
}
for (const { path } of filesUnder(join(root, 'dist', 'src'))) {
  const source = join(root, relative(join(root, 'dist'), path));
  const sourceOf = compiledOutput.test(source)
    ? source.replace(compiledOutput, '.ts')
    : source;
  if (!existsSync(sourceOf)) rmSync(path);
}
removeEmptyDirectories(join(root, 'dist', 'src'));
writeFileSync(stamp, '');
utimesSync(stamp, began, began);
