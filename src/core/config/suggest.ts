/**
 * "Did you mean ...?" for a mistyped config key: the closest key of the table by edit
 * distance (at most 2 edits, underscores ignored as a second try, so HITCOUNT finds
 * HIT_COUNT). One function for every place that names a key: the config file's warnings
 * at start and reload, `withChanges` from the web, and the CLI's --set.
 */
import { CONFIG_KEYS } from './keys.js';

/** Levenshtein distance (the keys are short: 30 characters at most). */
function distance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]!;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = d[j]!;
      d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return d[b.length]!;
}

/** The config key `name` most likely meant (within 2 edits), or null. */
export function suggestKey(name: string): string | null {
  const n = name.toUpperCase();
  let best: string | null = null;
  let bestD = 3;
  for (const k of CONFIG_KEYS) {
    const dd = Math.min(distance(n, k.key), distance(n.replace(/_/g, ''), k.key.replace(/_/g, '')));
    if (dd < bestD) {
      best = k.key;
      bestD = dd;
    }
  }
  return best;
}

/** "; did you mean KEY?" for a message, or '' when nothing is close. */
export function didYouMean(name: string): string {
  const hint = suggestKey(name);
  return hint ? `; did you mean ${hint}?` : '';
}
