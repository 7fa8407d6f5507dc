// The package as a host gets it: `npm pack` of this repository, installed from
// the registry into fresh copies of examples/host-app, one per supported
// combination of Nest, TypeORM and HTTP platform, each driven through HTTP.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createDatabase } from './databases.mjs';
import {
  buildHost,
  failedStart,
  installedCopies,
  runHostScript,
  startHost,
} from './host-app.mjs';
import { autoLoadedHost, hostCombinations } from './host-combinations.mjs';
import { packagesImportedBy } from './package-imports.mjs';
import { resetTokenIn, startSmtpSink } from './smtp-sink.mjs';
import { packRepository, unpack } from './tarball.mjs';

const repositoryRoot = fileURLToPath(new URL('../..', import.meta.url));
const manifest = JSON.parse(
  await readFile(join(repositoryRoot, 'package.json'), 'utf8'),
);
const workRoot = await mkdtemp(join(tmpdir(), 'password-reset-package-'));

/** A promise awaited later, by whichever test needs it: its failure belongs to those tests, not to the process. */
function awaitedLater(promise) {
  promise.catch(() => undefined);
  return promise;
}

// Packing once and installing every host at the same time, all from one npm cache, keeps the run short.
const packed = awaitedLater(packRepository(repositoryRoot, workRoot));
const builtHosts = new Map(
  [...hostCombinations, autoLoadedHost].map((combination) => [
    combination.id,
    awaitedLater(
      packed.then(({ path }) =>
        buildHost({
          example: join(repositoryRoot, 'examples', 'host-app'),
          combination,
          tarball: path,
          directory: join(workRoot, combination.id),
        }),
      ),
    ),
  ]),
);

let smtp;
before(async () => (smtp = await startSmtpSink()));
after(async () => {
  await smtp?.close();
  await rm(workRoot, { recursive: true, force: true });
});

async function* sourceFilesUnder(directory) {
  for (const entry of await readdir(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) yield* sourceFilesUnder(path);
    else if (!entry.name.includes('.spec.')) yield path;
  }
}

/** What the tarball must hold: the module's compiled code and typings, its templates, and npm's usual files. */
async function expectedTarballFiles() {
  const expected = [
    'package.json',
    'README.md',
    'CHANGELOG.md',
    'LICENSE',
    'dist/src/index.js',
    'dist/src/index.d.ts',
  ];
  for await (const path of sourceFilesUnder(
    join(repositoryRoot, 'src', 'password-reset'),
  )) {
    const packed = join('dist', relative(repositoryRoot, path));
    if (packed.endsWith('.ts'))
      expected.push(
        packed.replace(/\.ts$/, '.js'),
        packed.replace(/\.ts$/, '.d.ts'),
      );
    else expected.push(packed);
  }
  return expected.sort();
}

function packageHasOwnTypes(name) {
  const directory = join(repositoryRoot, 'node_modules', name);
  try {
    const installed = JSON.parse(
      readFileSync(join(directory, 'package.json'), 'utf8'),
    );
    return (
      Boolean(installed.types ?? installed.typings) ||
      existsSync(join(directory, 'index.d.ts')) ||
      JSON.stringify(installed.exports ?? {}).includes('.d.ts')
    );
  } catch {
    return false;
  }
}

/** POSTs to the host: the answer's status, headers, body (parsed if JSON) and the end of the host's log so far. */
async function send(
  host,
  path,
  body,
  { contentType = 'application/json', headers = {} } = {},
) {
  const hostLog = () => `host log (end):\n${host.output().slice(-2000)}`;
  let response;
  try {
    response = await fetch(`${host.url}${path}`, {
      method: 'POST',
      headers: {
        'content-type': contentType,
        accept: 'application/json',
        ...headers,
      },
      body: typeof body === 'string' ? body : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (error) {
    throw new Error(`POST ${path}: ${error.message}\n${hostLog()}`);
  }
  const text = await response.text();
  let parsed = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not JSON: the text as it came.
  }
  return {
    status: response.status,
    headers: response.headers,
    body: parsed,
    hostLog,
  };
}

/** `expected` names the fields that matter, each a value or a RegExp for it; `{}` means exactly `{}`. */
function assertAnswer(answer, status, expected) {
  const described = `answered ${answer.status} ${JSON.stringify(answer.body)}`;
  assert.equal(answer.status, status, `${described}\n${answer.hostLog()}`);
  if (expected === undefined) return;
  if (Object.keys(expected).length === 0)
    return assert.deepEqual(answer.body, {}, described);
  for (const [field, value] of Object.entries(expected)) {
    if (value instanceof RegExp)
      assert.match(String(answer.body?.[field]), value, described);
    else assert.equal(answer.body?.[field], value, described);
  }
}

describe('the packed tarball', () => {
  const declared = new Set([
    ...Object.keys(manifest.dependencies),
    ...Object.keys(manifest.peerDependencies),
  ]);
  let unpacked;
  before(
    async () =>
      (unpacked = await unpack(
        (await packed).path,
        join(workRoot, 'unpacked'),
      )),
  );

  it('holds the compiled module with its typings, templates and migrations, and nothing else', async (t) => {
    const { files, size } = await packed;
    t.diagnostic(
      `${files.length} files, ${(size / 1024).toFixed(1)} kB packed`,
    );
    assert.deepEqual(files, await expectedTarballFiles());
  });

  it('requires at run time only its dependencies, its peers and Node built-ins', async () => {
    const undeclared = [...(await packagesImportedBy(unpacked, '.js'))].filter(
      ([name]) => !declared.has(name),
    );
    assert.deepEqual(
      Object.fromEntries(undeclared),
      {},
      'packages required by the packed code but neither dependencies nor peers (and by which files)',
    );
  });

  it('has no dependency that neither its code nor its typings use', async () => {
    const required = await packagesImportedBy(unpacked, '.js');
    const typed = await packagesImportedBy(unpacked, '.d.ts');
    const typingsOf = (name) =>
      name.slice('@types/'.length).replace(/^(.*)__/, '@$1/');
    const unused = Object.keys(manifest.dependencies).filter((name) =>
      name.startsWith('@types/')
        ? !typed.has(typingsOf(name))
        : !required.has(name),
    );
    assert.deepEqual(unused, [], 'dependencies a host installs for nothing');
  });

  it('names in its typings only packages a host has, with their types', async () => {
    const typed = (name) =>
      packageHasOwnTypes(name) ||
      `@types/${name.replace(/^@(.*)\//, '$1__')}` in manifest.dependencies;
    const missing = [...(await packagesImportedBy(unpacked, '.d.ts'))].filter(
      ([name]) => !declared.has(name) || !typed(name),
    );
    assert.deepEqual(
      Object.fromEntries(missing),
      {},
      'packages the typings import that a host does not get (with types) from this package (and by which files)',
    );
  });
});

for (const combination of hostCombinations) {
  describe(combination.name, () => {
    let built;
    before(async () => (built = await builtHosts.get(combination.id)));

    it('installs from the tarball with one copy of Nest and TypeORM, and `npm ls` exits 0', async (t) => {
      t.diagnostic(
        `npm install ${built.installSeconds} s, tsc ${built.buildSeconds} s`,
      );
      const copies = await installedCopies(built.directory, [
        '@nestjs/common',
        '@nestjs/core',
        'typeorm',
      ]);
      for (const [name, paths] of Object.entries(copies))
        assert.equal(
          paths.length,
          1,
          `${name}: ${paths.length} copies\n${paths.join('\n')}`,
        );
    });

    // The module's OpenAPI decorators come from an optional peer: these hosts run the whole flow below without it.
    it('does not install @nestjs/swagger, an optional peer', async () => {
      assert.equal(
        existsSync(join(built.directory, 'node_modules', '@nestjs', 'swagger')),
        false,
      );
    });

    describe('running', () => {
      let host;
      before(async () => {
        host = await startHost(built.directory, {
          DATABASE_PATH: join(built.directory, 'host-app.sqlite'),
          RESET_JWT_SECRET: 'a'.repeat(16) + 'b'.repeat(16),
          RESET_URL: 'https://app.example.com/reset-password',
          SMTP_URL: smtp.url,
          NODE_ENV: 'test',
          NO_COLOR: '1',
        });
      });
      after(() => host?.stop());

      /** A route of the module's, under the host's prefix. */
      const post = (path, body, contentType) =>
        send(host, `${combination.prefix}${path}`, body, { contentType });
      /** A route of the host's own, under its version, with the headers its guard wants (if it has one). */
      const hostPath = (path) =>
        `${combination.hostPrefix ?? combination.prefix}${path}`;
      const postToHost = (path, body, headers = combination.hostHeaders) =>
        send(host, hostPath(path), body, { headers });

      /** The status `GET /me` answers for the session. */
      async function sessionStatus(session) {
        const headers = {
          ...combination.hostHeaders,
          authorization: `Bearer ${session}`,
        };
        const response = await fetch(`${host.url}${hostPath('/me')}`, {
          headers,
          signal: AbortSignal.timeout(10_000),
        });
        return response.status;
      }

      it('resets a password: request, mail over SMTP, reset, the host logs in with the new password only, its sessions ended, the link spent', async () => {
        const username = `alice-${combination.id}`;
        const email = `alice@${combination.id}.example`;
        const oldPassword = 'correct horse battery staple';
        const newPassword = 'violet kettle drums at noon';
        assertAnswer(
          await postToHost('/users', {
            username,
            email,
            password: oldPassword,
          }),
          201,
        );
        const { session } = (
          await postToHost('/login', { username, password: oldPassword })
        ).body;
        assert.equal(await sessionStatus(session), 200);

        assertAnswer(await post('/auth/lostPassword', { username }), 200, {});
        const token = resetTokenIn(await smtp.waitForMailTo(email));
        assertAnswer(
          await post('/auth/resetPassword', { token, password: newPassword }),
          200,
          {},
        );
        assert.equal(
          await sessionStatus(session),
          401,
          'the session from before the reset still works',
        );

        assertAnswer(
          await postToHost('/login', { username, password: newPassword }),
          200,
        );
        assertAnswer(
          await postToHost('/login', { username, password: oldPassword }),
          401,
        );
        assertAnswer(
          await post('/auth/resetPassword', {
            token,
            password: 'another fresh passphrase 7',
          }),
          400,
          { code: 'invalid_token' },
        );
      });

      if (combination.hostHeaders)
        it("keeps the host's guard and throttler on its own routes, and off the module's, mounted with `decorators`", async () => {
          const signUp = {
            username: `bob-${combination.id}`,
            email: `bob@${combination.id}.example`,
            password: 'correct horse battery staple',
          };
          assertAnswer(await postToHost('/users', signUp, {}), 401);
          const own = await postToHost('/users', signUp);
          assertAnswer(own, 201);
          assert.ok(
            own.headers.has('x-ratelimit-limit'),
            'no throttler headers on the host route',
          );
          const module = await post('/auth/lostPassword', {
            username: 'nobody-here',
          });
          assertAnswer(module, 200, {});
          assert.deepEqual(
            [...module.headers.keys()].filter((name) =>
              name.startsWith('x-ratelimit'),
            ),
            [],
          );
        });

      // Under a prefix the Tangerine365 API's URL is not the host's; without one it must work.
      if (!combination.prefix)
        it("answers the Tangerine365 API's exact URL, //auth/lostPassword, as /auth/lostPassword", async () => {
          assertAnswer(
            await post('//auth/lostPassword', { username: 'nobody-here' }),
            200,
            {},
          );
        });

      const badInputs = [
        [
          'a missing username',
          {},
          'application/json',
          400,
          {
            statusCode: 400,
            error: 'Bad Request',
            message: 'username is required',
            code: 'invalid_request',
          },
        ],
        [
          'an unknown field',
          { username: 'alice', admin: true },
          'application/json',
          400,
          { message: /admin/, code: 'invalid_request' },
        ],
        [
          'a __proto__ key',
          '{"__proto__":{}}',
          'application/json',
          400,
          { code: 'invalid_body' },
        ],
        [
          'malformed JSON',
          '{"username":',
          'application/json',
          400,
          { code: 'invalid_body' },
        ],
        [
          '%ZZ in a form',
          'username=%ZZ',
          'application/x-www-form-urlencoded',
          400,
          { code: 'invalid_body' },
        ],
        [
          'a body over 8 kB',
          { username: 'x'.repeat(9000) },
          'application/json',
          413,
          { statusCode: 413 },
        ],
      ];
      for (const [
        input,
        body,
        contentType,
        status,
        expectedBody,
      ] of badInputs) {
        it(`answers ${input} with ${status} as documented`, async () => {
          assertAnswer(
            await post('/auth/lostPassword', body, contentType),
            status,
            expectedBody,
          );
        });
      }
    });
  });
}

describe(autoLoadedHost.name, () => {
  let built;
  before(async () => (built = await builtHosts.get(autoLoadedHost.id)));

  const checkAgain =
    ": add PASSWORD_RESET_MIGRATIONS to the DataSource's migrations and run them.";

  for (const { title, server, databaseType, foldedColumn } of [
    { title: 'PostgreSQL', server: 'postgres', databaseType: 'postgres' },
    {
      title: "MariaDB, TypeORM's driver type mariadb",
      server: 'mariadb',
      databaseType: 'mariadb',
      // Only MariaDB/MySQL have collations that fold case.
      foldedColumn: true,
    },
    {
      title: "MariaDB, TypeORM's driver type mysql",
      server: 'mariadb',
      databaseType: 'mysql',
    },
  ]) {
    describe(title, () => {
      let database;
      before(async () => (database = await createDatabase(server)));
      after(() => database?.drop());

      const environment = (schema) => ({
        DATABASE_TYPE: databaseType,
        DATABASE_URL: database.url,
        HOST_SCHEMA: schema,
        RESET_JWT_SECRET: 'c'.repeat(16) + 'd'.repeat(16),
        RESET_URL: 'https://app.example.com/reset-password',
        SMTP_URL: smtp.url,
        NODE_ENV: 'test',
        NO_COLOR: '1',
      });

      /** Starts the host on `schema`: a user signs up, has a reset link mailed, resets with it and logs in with the new password. */
      async function resetAPassword(schema) {
        const host = await startHost(built.directory, environment(schema));
        try {
          const username = `carol-${databaseType}-${schema}`;
          const email = `${username}@auto-loaded.example`;
          const password = 'violet kettle drums at noon';
          assertAnswer(
            await send(host, '/users', {
              username,
              email,
              password: 'correct horse battery staple',
            }),
            201,
          );
          assertAnswer(
            await send(host, '/auth/lostPassword', { username }),
            200,
            {},
          );
          const token = resetTokenIn(await smtp.waitForMailTo(email));
          assertAnswer(
            await send(host, '/auth/resetPassword', { token, password }),
            200,
            {},
          );
          assertAnswer(await send(host, '/login', { username, password }), 200);
        } finally {
          await host.stop();
        }
      }

      async function assertStartStops(schema, sentence) {
        const { code, output } = await failedStart(
          built.directory,
          environment(schema),
        );
        assert.ok(
          code !== 0 && output.includes(sentence),
          `exit code ${code}, and the output lacks ${JSON.stringify(sentence)}:\n${output}`,
        );
      }

      it('with the migrations forgotten, exits at start with one sentence that names what is missing and PASSWORD_RESET_MIGRATIONS', () =>
        assertStartStops(
          'forgotten',
          `PasswordResetModule: the database lacks table password_reset_tokens, table password_reset_requests, table password_reset_outbox, table password_reset_account_locks${checkAgain}`,
        ));

      it('with synchronize, starts on the new database and resets a password', () =>
        resetAPassword('synchronize'));

      if (foldedColumn)
        it('with an identifier column that folds case, as an older synchronize made it, exits at start with one sentence', async () => {
          await database.query(
            'ALTER TABLE password_reset_outbox MODIFY user_id varchar(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci NOT NULL',
          );
          await assertStartStops(
            'forgotten',
            `PasswordResetModule: column password_reset_outbox.user_id compares by utf8mb4_general_ci, not a binary collation${checkAgain}`,
          );
        });

      it('moved to the migrations (synchronize off, migrationsRun), runs them on the tables synchronize made and resets a password', () =>
        resetAPassword('migrations'));

      it("then TypeORM finds nothing of the module's tables to change (what migration:generate would write)", async () => {
        const pending = await runHostScript(
          built.directory,
          'dist/pending-schema-changes.js',
          environment('migrations'),
        );
        assert.deepEqual(JSON.parse(pending), []);
      });
    });
  }
});
