import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** `npm pack` of the repository (its prepack builds), as a consumer would get it: the tarball's path, size and files. */
export async function packRepository(repositoryRoot, destination) {
  await mkdir(destination, { recursive: true });
  const { stdout } = await run(
    'npm',
    ['pack', '--json', '--pack-destination', destination],
    { cwd: repositoryRoot, maxBuffer: 16 * 1024 * 1024 },
  );
  // The build's own output may precede npm's JSON.
  const [pack] = JSON.parse(stdout.slice(stdout.indexOf('[')));
  return {
    path: join(destination, pack.filename),
    size: pack.size,
    files: pack.files.map((file) => file.path).sort(),
  };
}

/** Unpacks a tarball into a directory; npm's tarballs hold everything under package/. */
export async function unpack(tarball, destination) {
  await mkdir(destination, { recursive: true });
  await run('tar', ['-xzf', tarball, '-C', destination]);
  return join(destination, 'package');
}
