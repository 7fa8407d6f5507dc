/** The module's POST routes as clients reach them, the Tangerine365 API's `//auth/lostPassword` among them. */
export const POST_ROUTES = [
  '/auth/lostPassword',
  '//auth/lostPassword',
  '/auth/resetPassword',
  '/auth/resetPassword/check',
];

/** Content types a client may send: the two the module reads, with charsets and odd casing, and ones it refuses. */
export const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'Application/JSON; charset=utf-16',
  'application/x-www-form-urlencoded',
  'application/x-www-form-urlencoded; charset=latin1',
  'text/plain',
  'multipart/form-data; boundary=x',
  'application/problem+json',
  'application/xml',
  '',
];
