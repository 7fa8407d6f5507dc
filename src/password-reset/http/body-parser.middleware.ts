import { HttpStatus, Injectable, NestMiddleware } from '@nestjs/common';
import bodyParser from 'body-parser';
import type { NextFunction, Request, Response } from 'express';
import { isForbiddenKey } from './forbidden-keys';
import { httpError } from './http-errors';

/** Far above any real request; a reset form is two short fields. */
const BODY_LIMIT = '8kb';

/**
 * The form decoder keeps `%ZZ` as it is, and silently drops a `__proto__`
 * key; this refuses both, and the other forbidden keys, from the raw body.
 */
function verifyForm(_req: unknown, _res: unknown, raw: Buffer): void {
  const body = raw.toString('latin1');
  if (/%(?![0-9a-fA-F]{2})/.test(body)) throw new SyntaxError('malformed percent-encoding');
  const forbidden = [...new URLSearchParams(body).keys()].find(isForbiddenKey);
  if (forbidden) throw new SyntaxError(`forbidden key ${forbidden}`);
}

// No reviver: JSON.parse alone is iterative, while a reviver recurses once per
// level and overflowed the stack on a deeply nested body. JSON keeps a
// `__proto__` key as a plain property, so the validation pipe refuses it, and
// deep nesting, in these bodies and a host parser's alike.
const parsers = [
  bodyParser.json({ limit: BODY_LIMIT, strict: true }),
  bodyParser.urlencoded({ limit: BODY_LIMIT, extended: false, parameterLimit: 10, verify: verifyForm }),
];

interface BodyParserError {
  type?: string;
  status?: number;
  message?: string;
}

function toHttpError(error: BodyParserError) {
  switch (error.type) {
    case 'entity.too.large':
    case 'parameters.too.many':
      return httpError(HttpStatus.PAYLOAD_TOO_LARGE, 'payload_too_large', `request body is larger than ${BODY_LIMIT}`);
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return httpError(HttpStatus.UNSUPPORTED_MEDIA_TYPE, 'unsupported_media_type', error.message ?? 'unsupported encoding');
    default:
      return httpError(HttpStatus.BAD_REQUEST, 'invalid_body', `request body is malformed: ${error.message ?? 'unreadable'}`);
  }
}

/**
 * Parses JSON and form bodies of the module's routes with tight limits, and
 * answers every malformed body with a JSON 400 instead of a framework error
 * page. A body that the host application already parsed is left alone.
 */
@Injectable()
export class BodyParserMiddleware implements NestMiddleware {
  async use(req: Request & { _body?: boolean }, res: Response, next: NextFunction): Promise<void> {
    for (const parse of parsers) {
      if (req._body) break;
      await new Promise<void>((resolve, reject) =>
        parse(req, res, (error?: unknown) => (error ? reject(toHttpError(error as BodyParserError)) : resolve())),
      );
    }
    next();
  }
}
