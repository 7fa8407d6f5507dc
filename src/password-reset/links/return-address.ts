import { text } from '../i18n/text';
import { PasswordResetError } from '../password-reset.error';

/** The longest return address kept, as the parser writes it: the width of its columns. */
export const MAX_RETURN_ADDRESS_LENGTH = 2048;

/** An allowed origin, with the path a return address must lie under (`/` for the whole origin). */
interface AllowedPlace {
  origin: string;
  path: string;
}

/**
 * A parsed absolute http(s) URL without user or password, or undefined.
 * Backslashes and control characters are refused before parsing: the WHATWG
 * parser reads a backslash as a slash, and a client with another parser might not.
 */
function parsedHttpUrl(value: string): URL | undefined {
  if (/[\\\p{Cc}\s]/u.test(value) || !URL.canParse(value)) return undefined;
  const url = new URL(value);
  if (!/^https?:$/.test(url.protocol) || url.username || url.password)
    return undefined;
  return url;
}

/** Whether `path` is `under` or lies below it, on a segment boundary. */
function isUnder(path: string, under: string): boolean {
  return under.endsWith('/')
    ? path.startsWith(under)
    : path === under || path.startsWith(`${under}/`);
}

/**
 * The return addresses a reset may lead back to (`returnUrls`): each entry an
 * origin (`https://app.example.test`) or a URL prefix
 * (`https://app.example.test/account/`). An address is compared as the WHATWG
 * parser reads it, never as a string: the same scheme, host (lower-cased,
 * punycode) and port (a default port left out) as an entry, and a path on or
 * below the entry's on a segment boundary, dot segments (`..`, `%2e%2e`)
 * already resolved. A path that still holds an encoded slash, backslash or dot
 * is refused, as a server behind it might decode it into a traversal.
 */
export class ReturnAddresses {
  private constructor(private readonly allowed: AllowedPlace[]) {}

  /** The list, checked: each entry an absolute http(s) URL without user, password, query or fragment; else an Error of one sentence. */
  static of(entries: readonly string[]): ReturnAddresses {
    return new ReturnAddresses(
      entries.map((entry) => {
        const url = parsedHttpUrl(entry);
        if (!url || url.search || url.hash)
          throw new Error(
            `returnUrls: ${JSON.stringify(entry)} is not an absolute http(s) URL without user, password, query or fragment`,
          );
        return { origin: url.origin, path: url.pathname };
      }),
    );
  }

  static none(): ReturnAddresses {
    return new ReturnAddresses([]);
  }

  get enabled(): boolean {
    return this.allowed.length > 0;
  }

  /** The address as the parser writes it, which is what is carried and given back, if the list allows it; else undefined. */
  check(address: string): string | undefined {
    const url = parsedHttpUrl(address);
    if (!url || /%(2f|5c|2e)/i.test(url.pathname)) return undefined;
    const allowed = this.allowed.some(
      ({ origin, path }) =>
        url.origin === origin && isUnder(url.pathname, path),
    );
    return allowed && url.href.length <= MAX_RETURN_ADDRESS_LENGTH
      ? url.href
      : undefined;
  }
}

/** The return address as it is carried, or null for none; one the list does not allow is `invalid_request` naming `returnTo`. */
export function checkedReturnTo(
  addresses: ReturnAddresses,
  returnTo: string | undefined,
): string | null {
  if (returnTo === undefined) return null;
  const checked = addresses.check(returnTo);
  if (checked === undefined)
    throw new PasswordResetError(
      'invalid_request',
      text('validation.returnToNotAllowed', { field: 'returnTo' }),
    );
  return checked;
}
