import type { Request } from 'express';

/** A browser's form post: it gets a page back instead of JSON. */
export function wantsHtml(req: Request): boolean {
  return req.is('application/x-www-form-urlencoded') === 'application/x-www-form-urlencoded' && req.accepts(['application/json', 'text/html']) === 'text/html';
}
