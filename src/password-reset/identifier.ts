import { MAX_IDENTIFIER_LENGTH } from './password-reset.constants';

/**
 * The one form an identifier is compared in: Unicode NFKC (so full-width and
 * other compatibility forms become their plain letters), and lower case when
 * it is an e-mail address. Nothing else is folded, so characters that only look
 * alike (dotless i, combining marks, zero-width characters) stay different and
 * never match another user. Hosts normalise stored identifiers the same way.
 */
export function normaliseIdentifier(identifier: string): string {
  const normalised = identifier.normalize('NFKC').trim();
  return normalised.includes('@') ? normalised.toLowerCase() : normalised;
}

/**
 * Whether every database can store the (normalised) identifier as it is:
 * PostgreSQL and MariaDB count a VARCHAR's length in code points, not in
 * UTF-16 units nor in the grapheme-ish units a generic length check uses, and
 * refuse lone surrogates. A request the database would refuse must be refused
 * on its own, before it shares a batched INSERT with innocent ones. A host
 * checks its users' usernames and addresses with it when it stores them: the
 * module refuses to take a request for one that does not fit.
 */
export function fitsIdentifierColumn(identifier: string): boolean {
  return (
    identifier.isWellFormed() &&
    codePointLength(identifier) <= MAX_IDENTIFIER_LENGTH
  );
}

function codePointLength(text: string): number {
  let length = 0;
  for (const _ of text) length += 1;
  return length;
}
