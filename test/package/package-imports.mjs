import { readdir, readFile } from 'node:fs/promises';
import { isBuiltin } from 'node:module';
import { join, relative } from 'node:path';

const importedSpecifier =
  /\b(?:require(?:\.resolve)?|import)\(\s*['"]([^'"]+)['"]\s*\)|\bfrom\s+['"]([^'"]+)['"]/g;

/** `@scope/name/deep/path` → `@scope/name`; `name/deep` → `name`. */
function packageNameOf(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

async function* filesUnder(directory) {
  for (const entry of await readdir(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) yield* filesUnder(path);
    else yield path;
  }
}

/** The packages (not Node's built-ins, not relative paths) that the files whose names end in `suffix` import, each with the files that do. */
export async function packagesImportedBy(directory, suffix) {
  const importers = new Map();
  for await (const path of filesUnder(directory)) {
    if (!path.endsWith(suffix)) continue;
    for (const [, call, from] of (await readFile(path, 'utf8')).matchAll(
      importedSpecifier,
    )) {
      const specifier = call ?? from;
      if (specifier.startsWith('.') || isBuiltin(specifier)) continue;
      const name = packageNameOf(specifier);
      importers.set(name, [
        ...(importers.get(name) ?? []),
        relative(directory, path),
      ]);
    }
  }
  return importers;
}
