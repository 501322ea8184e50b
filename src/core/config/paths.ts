/**
 * Paths the config names for files root reads (GEOIP_UPDATE_URL, GEOIP_MMDB, feed sources):
 * normalised without touching the disk, and confined to the config directory, so whoever
 * edits a key (the web UI edits some) cannot make root read any file on the host.
 */

/** An absolute path from a path or file:// URL, with `.` and `..` resolved; null if neither. */
export function localSourcePath(value: string): string | null {
  let path = value;
  if (/^file:\/\//i.test(value)) {
    if (!URL.canParse(value)) return null;
    const u = new URL(value);
    if (u.host !== '' && u.host !== 'localhost') return null;
    path = decodeURIComponent(u.pathname);
  }
  if (!path.startsWith('/') || path.includes('\0')) return null;
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return `/${parts.join('/')}`;
}

/** True when `path` (normalised) is inside directory `dir`. */
export function isInside(path: string, dir: string): boolean {
  const d = dir.endsWith('/') ? dir : `${dir}/`;
  return path.startsWith(d) && path.length > d.length;
}
