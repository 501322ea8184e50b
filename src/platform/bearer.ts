/**
 * Bearer tokens for the machine routes on WEB_LISTEN: Prometheus scraping /metrics
 * (METRICS_TOKEN) and an SBC pulling /api/blocks/export (EXPORT_TOKEN). A token opens only
 * its own GET route; everything else still needs a session. Compared in constant time
 * (SHA-256 of both sides, so the lengths leak nothing either).
 */
import { createHash, timingSafeEqual } from 'node:crypto';

/** `Authorization: Bearer TOKEN` → TOKEN, or null. */
export function bearerOf(header: string | undefined): string | null {
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? '');
  return m ? m[1]! : null;
}

/** True when the request's bearer token is the configured one (never when none is configured). */
export function bearerMatches(header: string | undefined, token: string | null): boolean {
  const given = bearerOf(header);
  if (token === null || given === null) return false;
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(token));
}
