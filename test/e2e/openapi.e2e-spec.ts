import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { parse } from 'yaml';
import { testDatabases } from '../support/databases';
import { startTestServer, TestServer } from '../support/harness';
import { testPlatforms } from '../support/platforms';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a parsed YAML document is walked by key, whatever its shape
type Json = Record<string, any>;

/** The Tangerine365 lost-password API document (a copy of it): its OpenAPI block, parsed. */
function apiDocument(): Json {
  const markdown = readFileSync(
    join(__dirname, '..', 'fixtures', 'tangerine365', 'lost-password.md'),
    'utf8',
  );
  const yaml = /```yaml\n([\s\S]*?)```/.exec(markdown);
  if (!yaml)
    throw new Error('no OpenAPI block in the Tangerine365 API document');
  return parse(yaml[1]);
}

/** A schema with its `$ref`s replaced by what they point at, within its document. */
function resolved(document: Json, schema: Json): Json {
  if (schema.$ref) {
    const path = (schema.$ref as string).replace(/^#\//, '').split('/');
    return resolved(
      document,
      path.reduce((node: Json, key) => node[decodeURIComponent(key)], document),
    );
  }
  return schema;
}

/** What a client relies on in a schema: types, properties and which are required; not titles or descriptions. */
function shape(document: Json, schema: Json): Json {
  const { type, properties = {}, required = [] } = resolved(document, schema);
  return {
    type,
    properties: Object.fromEntries(
      Object.entries(properties as Json).map(([name, property]) => [
        name,
        resolved(document, property).type,
      ]),
    ),
    required: [...required].sort(),
  };
}

const ROUTES = [
  ['post', '/auth/lostPassword'],
  ['post', '/auth/resetPassword'],
  ['post', '/auth/resetPassword/check'],
] as const;

describe.each(testPlatforms())('the OpenAPI document (%s)', (platform) => {
  let server: TestServer;
  let served: Json;
  const documented = apiDocument();
  // The Tangerine365 API document's client examples post to `//auth/lostPassword` (its server URL ends in a slash); the path is /auth/lostPassword.
  const documentedOperation = documented.paths['//auth/lostPassword'].post;

  beforeAll(async () => {
    server = await startTestServer(platform, testDatabases()[0]);
    served = (
      await request(server.http)
        .get('/docs-json')
        .expect(200)
        .expect('Content-Type', /json/)
    ).body;
  });
  afterAll(() => server.close());

  it("holds the Tangerine365 API document's lost-password operation: its id, username required, both body types, 200 with an empty object", () => {
    const operation = served.paths['/auth/lostPassword'].post;
    expect(operation.operationId).toBe(documentedOperation.operationId);
    expect(operation.operationId).toBe('lost-password');
    expect(operation.summary).toBe(documentedOperation.summary);
    expect(operation.description).toContain(
      documentedOperation.description.split('\n')[0].trim(),
    );

    const bodyTypes = Object.keys(operation.requestBody.content).sort();
    expect(bodyTypes).toEqual([
      'application/json',
      'application/x-www-form-urlencoded',
    ]);
    // The Tangerine365 body, and the optional returnTo beside it: every body the Tangerine365 API takes is taken.
    for (const [contentType, { schema }] of Object.entries(
      documentedOperation.requestBody.content as Json,
    )) {
      const documentedShape = shape(documented, schema);
      expect(
        shape(served, operation.requestBody.content[contentType].schema),
      ).toEqual({
        ...documentedShape,
        properties: { ...documentedShape.properties, returnTo: 'string' },
      });
    }
    expect(
      shape(
        served,
        operation.requestBody.content['application/x-www-form-urlencoded']
          .schema,
      ),
    ).toEqual({
      type: 'object',
      properties: { username: 'string', returnTo: 'string' },
      required: ['username'],
    });

    const documentedOk = documentedOperation.responses['200'];
    expect(Object.keys(operation.responses['200'].content)).toEqual(
      Object.keys(documentedOk.content),
    );
    expect(
      shape(
        served,
        operation.responses['200'].content['application/json'].schema,
      ),
    ).toEqual(
      shape(documented, documentedOk.content['application/json'].schema),
    );
    expect(
      shape(
        served,
        operation.responses['200'].content['application/json'].schema,
      ),
    ).toEqual({ type: 'object', properties: {}, required: [] });
  });

  it.each(ROUTES)(
    'documents every answer of %s %s, the errors with the error schema and 429 with Retry-After',
    (method, path) => {
      const operation = served.paths[path][method];
      expect(Object.keys(operation.responses)).toEqual(
        expect.arrayContaining(['200', '400', '413', '429', '503']),
      );
      for (const status of ['400', '413', '429', '503']) {
        expect(
          shape(
            served,
            operation.responses[status].content['application/json'].schema,
          ),
        ).toEqual({
          type: 'object',
          properties: {
            statusCode: 'number',
            error: 'string',
            message: 'string',
            code: 'string',
            reasons: 'array',
          },
          required: ['code', 'error', 'message', 'statusCode'],
        });
      }
      expect(
        operation.responses['429'].headers['Retry-After'].schema.type,
      ).toBe('integer');
      expect(Object.keys(operation.requestBody.content).sort()).toEqual([
        'application/json',
        'application/x-www-form-urlencoded',
      ]);
    },
  );

  it('names the 400 codes each route answers with, and describes the fields with their limits', () => {
    expect(
      served.paths['/auth/resetPassword'].post.responses['400'].description,
    ).toEqual(expect.stringContaining('`weak_password`'));
    expect(
      served.paths['/auth/resetPassword'].post.responses['400'].description,
    ).toEqual(expect.stringContaining('`invalid_token`'));
    expect(
      resolved(served, { $ref: '#/components/schemas/LostPasswordDto' })
        .properties.username.maxLength,
    ).toBe(254);
    expect(
      resolved(served, {
        $ref: '#/components/schemas/ResetPasswordDto',
      }).required.sort(),
    ).toEqual(['password']);
    for (const [path, dto] of [
      ['/auth/resetPassword', 'ResetPasswordDto'],
      ['/auth/resetPassword/check', 'CheckResetTokenDto'],
    ]) {
      const body =
        served.paths[path].post.requestBody.content['application/json'].schema;
      expect(body.allOf).toEqual([{ $ref: `#/components/schemas/${dto}` }]);
      expect(
        body.oneOf.map((shape: { required: string[] }) => shape.required),
      ).toEqual([['token'], ['username', 'code']]);
      expect(Object.keys(resolved(served, body.allOf[0]).properties)).toEqual(
        expect.arrayContaining(['token', 'username', 'code']),
      );
    }
    const codes = resolved(served, {
      $ref: '#/components/schemas/PasswordResetErrorResponse',
    }).properties.code.enum;
    expect(codes).toEqual(
      expect.arrayContaining([
        'invalid_request',
        'invalid_token',
        'weak_password',
        'too_many_requests',
        'unavailable',
        'sessions_not_ended',
      ]),
    );
  });

  it('documents the pages as HTML', () => {
    expect(
      Object.keys(
        served.paths['/auth/resetPassword'].get.responses['200'].content,
      ),
    ).toEqual(['text/html']);
    expect(
      served.paths['/auth/resetPassword'].get.responses['429'].headers[
        'Retry-After'
      ],
    ).toBeDefined();
    expect(
      Object.keys(
        served.paths['/auth/lostPassword'].get.responses['200'].content,
      ),
    ).toEqual(['text/html']);
  });

  it('serves Swagger UI at /docs, its assets from the server itself', async () => {
    const page = await request(server.http)
      .get('/docs')
      .redirects(1)
      .expect(200)
      .expect('Content-Type', /html/);
    expect(page.text).toContain('swagger-ui');
    const scripts = [...page.text.matchAll(/<script src="([^"]+)"/g)].map(
      ([, src]) => src,
    );
    expect(scripts.length).toBeGreaterThan(0);
    for (const src of scripts) {
      expect(src).not.toMatch(/^https?:/);
      await request(server.http)
        .get(new URL(src, 'http://server/docs').pathname)
        .expect(200);
    }
  });
});

describe.each(testPlatforms())(
  'the standalone server with DOCS=false (%s)',
  (platform) => {
    let server: TestServer;

    beforeAll(async () => {
      server = await startTestServer(platform, testDatabases()[0], {
        env: { DOCS: 'false' },
      });
    });
    afterAll(() => server.close());

    it('serves neither the OpenAPI document nor Swagger UI: they are 404s like any unknown path', async () => {
      for (const path of [
        '/docs-json',
        '/docs',
        '/docs/',
        '/docs/swagger-ui-bundle.js',
      ]) {
        const res = await request(server.http)
          .get(path)
          .expect(404)
          .expect('Content-Type', /json/);
        expect(res.body).toEqual({
          statusCode: 404,
          error: 'Not Found',
          message: `Cannot GET ${path}`,
        });
      }
      await request(server.http)
        .post('/auth/lostPassword')
        .send({ username: 'someone' })
        .expect(200, {});
    });
  },
);
