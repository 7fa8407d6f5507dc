import type { NextFunction, Request, Response } from 'express';

/**
 * The seed's clients post to `//auth/lostPassword`. Express 5 matches paths
 * literally, so `//auth/...` is rewritten to `/auth/...`; no other path is touched.
 */
export function collapseLeadingSlashes(req: Request, _res: Response, next: NextFunction): void {
  if (req.url.startsWith('//auth/')) req.url = req.url.replace(/^\/+/, '/');
  next();
}
