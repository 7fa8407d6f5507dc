import type request from 'supertest';

/** What a browser sends as `Accept`: it prefers HTML. */
export const BROWSER_ACCEPT =
  'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

/** The headers every page of the flow carries, from the module itself: nothing may leak, keep or frame the link it holds. */
export function expectPageHeaders(res: request.Response): void {
  expect(res.headers['content-type']).toMatch(/^text\/html/);
  expect(res.headers['referrer-policy']).toBe('no-referrer');
  expect(res.headers['cache-control']).toBe('no-store');
  expect(res.headers['x-frame-options']).toBe('DENY');
  const csp = res.headers['content-security-policy'];
  for (const directive of [
    "default-src 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
    "base-uri 'none'",
  ])
    expect(csp).toContain(directive);
  expect(csp).not.toMatch(/unsafe-inline|https?:/);
  expect(res.text).not.toMatch(/<script|src="http/);
}
