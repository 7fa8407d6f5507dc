// The README's mounting section walks through examples/host-app, the app the
// packaging test installs and drives: each file it quotes must be quoted whole
// and as it is, so that what readers copy is what was tested.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';

const repositoryRoot = fileURLToPath(new URL('../..', import.meta.url));
const quotation = /^`(examples\/host-app\/[^`]+)`:\n\n```ts\n([\s\S]*?)^```$/gm;

it('quotes the files of examples/host-app whole and as they are, the module wiring and the user store among them', async () => {
  const readme = await readFile(join(repositoryRoot, 'README.md'), 'utf8');
  const quotes = [...readme.matchAll(quotation)];
  const quoted = quotes.map(([, path]) => path);
  for (const essential of [
    'examples/host-app/src/app.module.ts',
    'examples/host-app/src/users/users-reset.store.ts',
  ]) {
    assert.ok(
      quoted.includes(essential),
      `the README does not quote ${essential}`,
    );
  }
  for (const [, path, text] of quotes)
    assert.equal(
      text,
      await readFile(join(repositoryRoot, path), 'utf8'),
      `the README's quote of ${path} differs from the file`,
    );
});
