/**
 * The config's secrets, and the one way they are shown wherever a value leaves the
 * process (config error messages, the settings API, logs): SMTP_PASSWORD is never shown,
 * and a URL setting (CLUSTER_REDIS_URL) shows everything but its password. One mask,
 * `********`, so a reader learns "set, hidden" and nothing about the length.
 */

export const SECRET_MASK = '********';

/** Keys whose whole value is secret: never sent back, not even masked, by the settings API. */
export const SECRET_KEYS: ReadonlySet<string> = new Set(['SMTP_PASSWORD', 'METRICS_TOKEN', 'EXPORT_TOKEN']);

/** URL keys that may carry a password (`redis://user:password@host`). */
const URL_KEYS: ReadonlySet<string> = new Set(['CLUSTER_REDIS_URL']);

/** The value as it may be shown: a secret key's masked (empty stays empty), a URL's password masked. */
export function shownValue(key: string, value: string): string {
  if (SECRET_KEYS.has(key)) return value === '' ? '' : SECRET_MASK;
  if (URL_KEYS.has(key)) return maskUrlPassword(value);
  if (key === 'WEBHOOK_URLS') return maskWebhookUrls(value);
  return value;
}

/**
 * Webhook URLs carry their secret in the path (Slack's /services/T/B/XXXX, Discord's
 * /api/webhooks/ID/TOKEN, Teams' signature query): only scheme, host and port are shown.
 */
export function maskWebhookUrl(url: string): string {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)(?:[^/?#@]*@)?([^/?#]*)(.*)$/is.exec(url);
  if (!m) return SECRET_MASK;
  return m[3] === '' || m[3] === '/' ? `${m[1]}${m[2]}/` : `${m[1]}${m[2]}/${SECRET_MASK}`;
}

function maskWebhookUrls(value: string): string {
  return value
    .split(/\s+/)
    .filter((s) => s !== '')
    .map((item) => {
      const m = /^([a-z]+[:=])?(.*)$/is.exec(item)!;
      const prefix = m[1] && !/^https?[:=]$/i.test(m[1]) ? m[1] : '';
      return prefix + maskWebhookUrl(prefix ? m[2]! : item);
    })
    .join(' ');
}

/**
 * A URL with its password part replaced by the mask (WHATWG parsing). Text that does not
 * parse (it is being reported as invalid) loses everything between `scheme://user:` and its
 * last `@`: more than the password, perhaps, but never less.
 */
function maskUrlPassword(value: string): string {
  try {
    const u = new URL(value);
    if (!u.password) return value;
    u.password = SECRET_MASK;
    return u.toString();
  } catch {
    return value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/]*:)[\s\S]*@/i, `$1${SECRET_MASK}@`);
  }
}
