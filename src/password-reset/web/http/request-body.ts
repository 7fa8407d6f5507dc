import type { IncomingMessage, ServerResponse } from 'node:http';
import bodyParser from 'body-parser';
import { isForbiddenKey } from './forbidden-keys';
import { text } from '../../i18n/text';
import { PasswordResetError } from '../../password-reset.error';
import { HttpRequest, nodeRequestOf } from './http-request';

/** Far above any real request; a reset form is two short fields. */
const BODY_LIMIT = '8kb';

/**
 * The form decoder keeps `%ZZ` as it is, and silently drops a `__proto__`
 * key; this refuses both, and the other forbidden keys, from the raw body.
 */
function verifyForm(_req: unknown, _res: unknown, raw: Buffer): void {
  const body = raw.toString('latin1');
  if (/%(?![0-9a-fA-F]{2})/.test(body))
    throw new SyntaxError('malformed percent-encoding');
  const forbidden = [...new URLSearchParams(body).keys()].find(isForbiddenKey);
  if (forbidden) throw new SyntaxError(`forbidden key ${forbidden}`);
}

// No reviver: JSON.parse alone is iterative, while a reviver recurses once per
// level and overflowed the stack on a deeply nested body. JSON keeps a
// `__proto__` key as a plain property, so validation refuses it, and deep nesting.
const parsers = [
  bodyParser.json({ limit: BODY_LIMIT, strict: true }),
  bodyParser.urlencoded({
    limit: BODY_LIMIT,
    extended: false,
    parameterLimit: 10,
    verify: verifyForm,
  }),
];

interface BodyParserError {
  type?: string;
  message?: string;
}

function refusalOf(error: BodyParserError): PasswordResetError {
  switch (error.type) {
    case 'entity.too.large':
    case 'parameters.too.many':
      return new PasswordResetError(
        'payload_too_large',
        text('errors.payload_too_large', { limit: BODY_LIMIT }),
      );
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new PasswordResetError(
        'unsupported_media_type',
        text('errors.unsupported_media_type', {
          reason: error.message ?? 'unknown',
        }),
      );
    default:
      return new PasswordResetError(
        'invalid_body',
        text('errors.malformed_body', {
          reason: error.message ?? 'unreadable',
        }),
      );
  }
}

/**
 * A JSON or form body, read to the end with tight limits; a malformed one
 * rejects with its answer. A body of any other type is left unread: undefined.
 */
async function readBody(request: IncomingMessage): Promise<unknown> {
  // body-parser hands the response only to `verify`, which does not use it.
  const response = {} as ServerResponse;
  for (const parse of parsers) {
    await new Promise<void>((resolve, reject) =>
      parse(request, response, (error?: unknown) =>
        error ? reject(error as BodyParserError) : resolve(),
      ),
    ).catch(async (error: BodyParserError) => {
      await drained(request);
      throw refusalOf(error);
    });
  }
  return (request as { body?: unknown }).body;
}

/**
 * body-parser refuses a charset or content encoding it does not read before
 * reading the body; the host's own parsers, which skip only a request read to
 * its end, would then answer it in their own words. So a refused body is read
 * to its end and thrown away, as body-parser does with one over its limit.
 */
function drained(request: IncomingMessage): Promise<void> {
  if (request.readableEnded || request.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    request.once('end', resolve);
    request.once('close', resolve);
    request.once('error', () => resolve());
    request.resume();
  });
}

const bodies = new WeakMap<IncomingMessage, Promise<unknown>>();

/**
 * Reads the body of a request to one of the module's routes before any parser
 * of the host's can, and keeps it for the route's handler, which answers a
 * malformed one. Resolves once the request is read: to its body, or undefined.
 */
export function readBeforeTheHost(request: IncomingMessage): Promise<unknown> {
  const body = readBody(request);
  bodies.set(request, body);
  return body.catch(() => undefined);
}

/** The body read for this request; rejects with the answer to a malformed one. */
export function bodyOf(request: HttpRequest): Promise<unknown> {
  const body = bodies.get(nodeRequestOf(request));
  if (!body) {
    throw new Error(
      'PasswordResetModule read no body for this request: its routes must be at /auth/… under the global prefix (or where its `routes` option puts them), not under a RouterModule path',
    );
  }
  return body;
}
