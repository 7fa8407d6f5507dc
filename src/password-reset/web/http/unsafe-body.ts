import { isForbiddenKey } from './forbidden-keys';

/**
 * How deep a body may nest. The module's fields are flat strings; one level
 * more (`{"username": ["a"]}`) still gets validation's plain "must be a
 * string". Anything deeper is refused before validation, which recurses
 * through a body and overflowed the stack on a few thousand levels.
 */
const MAX_DEPTH = 2;

/**
 * Why a parsed body is refused before it is validated, or undefined: it nests
 * deeper than MAX_DEPTH, or has a key such as `__proto__` at any level. Looks
 * no deeper than MAX_DEPTH, however deep the body goes.
 */
export function unsafeBodyReason(body: unknown, depth = 1): string | undefined {
  if (body === null || typeof body !== 'object') return undefined;
  if (depth > MAX_DEPTH) return `nested deeper than ${MAX_DEPTH} levels`;
  for (const [key, value] of Object.entries(body)) {
    if (isForbiddenKey(key)) return `forbidden key ${key}`;
    const reason = unsafeBodyReason(value, depth + 1);
    if (reason) return reason;
  }
  return undefined;
}
