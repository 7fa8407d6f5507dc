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
