import type { IncomingHttpHeaders } from 'node:http';

function mediaTypeOf(contentType: string | undefined): string | undefined {
  return contentType?.split(';')[0].trim().toLowerCase();
}

const ANY_TYPE = '*/*';

/**
 * How much an Accept header wants `type`, as Express's `req.accepts` weighs
 * it: the quality of the most specific range that matches it (the type
 * itself, then `text/*` and the like, then any type), 0 if none does. No
 * header accepts any type.
 */
function qualityOf(type: string, accept = ANY_TYPE): number {
  let best = { specificity: -1, quality: 0 };
  for (const range of accept.split(',')) {
    const [mediaRange, ...parameters] = range
      .split(';')
      .map((part) => part.trim().toLowerCase());
    const specificity = [ANY_TYPE, `${type.split('/')[0]}/*`, type].indexOf(
      mediaRange,
    );
    if (specificity === -1) continue;
    const q = parameters.find((parameter) => parameter.startsWith('q='));
    const quality = q === undefined ? 1 : Number.parseFloat(q.slice(2)) || 0;
    if (
      specificity > best.specificity ||
      (specificity === best.specificity && quality > best.quality)
    )
      best = { specificity, quality };
  }
  return best.quality;
}

/** A browser's form post, which gets a page back instead of JSON: a form body, and HTML preferred to JSON (JSON on a tie). */
export function wantsHtml(headers: IncomingHttpHeaders): boolean {
  return (
    mediaTypeOf(headers['content-type']) ===
      'application/x-www-form-urlencoded' &&
    qualityOf('text/html', headers.accept) >
      qualityOf('application/json', headers.accept)
  );
}
