/** Display helpers: durations, times, numbers, reasons and countries in words. */

export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${String(m % 60).padStart(2, '0')} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** "10 min" style for setting hints (whole units only). */
export function roughDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds <= 0) return '';
  const units: Array<[number, string]> = [
    [86400, 'day'],
    [3600, 'hour'],
    [60, 'minute'],
  ];
  for (const [n, name] of units) {
    if (seconds >= n && seconds % n === 0) {
      const v = seconds / n;
      return `${v} ${name}${v === 1 ? '' : 's'}`;
    }
  }
  return duration(seconds);
}

export function dateTime(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toLocaleString(undefined, {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  });
}

/** Time only for today, else a short date and time: for lists of recent events. */
export function when(epochSeconds: number): string {
  const d = new Date(epochSeconds * 1000);
  if (d.toDateString() === new Date().toDateString()) return time(epochSeconds);
  return d.toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

export function time(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
}

export function num(n: number): string {
  return n.toLocaleString();
}

export const REASONS: Record<string, string> = {
  scanner: 'Scanner user agent',
  'auth-failures': 'Password guessing',
  enumeration: 'Extension scan',
  'deny-list': 'Deny list',
  country: 'Blocked country',
  manual: 'Blocked by hand',
  expired: 'Expired',
  threshold: 'Repeat offender',
  'toll-fraud': 'Toll-fraud probing',
  'slow-attack': 'Slow password guessing',
  distributed: 'Distributed guessing',
  flood: 'Request flood',
  prefix: 'Same prefix as attackers',
};

export function reason(r: string): string {
  return REASONS[r] ?? r;
}

const regionNames = (() => {
  try {
    return new Intl.DisplayNames(['en'], { type: 'region' });
  } catch {
    return null;
  }
})();

export function countryName(code: string): string | null {
  try {
    const name = regionNames?.of(code);
    return name && name !== code ? name : null;
  } catch {
    return null;
  }
}

export function country(code: string | null): string {
  if (!code) return 'unknown';
  const name = countryName(code);
  return name ? `${name} (${code})` : code;
}

export function plural(n: number, word: string, many = `${word}s`): string {
  return `${num(n)} ${n === 1 ? word : many}`;
}

export function todayLocal(): string {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}
