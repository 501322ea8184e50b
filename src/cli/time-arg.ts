/**
 * Times on the command line (`history --since 2h`, `--until 2026-12-01`): a duration back
 * from now (`90s`, `30m`, `2h`, `7d`, `2w`), a local date (`2026-12-01`: its midnight), a
 * local date and time (`2026-12-01 14:30`, `2026-12-01T14:30:05`), an ISO time with a
 * zone (`...Z`, `...+01:00`), or epoch seconds. Anything else is a usage error naming the
 * forms, never a silent guess.
 */
import { usage } from './context.js';

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 7 * 86400 };

export function parseTimeArg(flag: string, text: string, now: number): number {
  const t = text.trim();
  const rel = /^(\d{1,6})([smhdw])$/.exec(t);
  if (rel) return now - Number(rel[1]) * UNITS[rel[2]!]!;
  if (/^\d{9,12}(\.\d+)?$/.test(t)) return Number(t);
  const local = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(t);
  if (local) {
    const [, y, mo, d, h = '0', mi = '0', s = '0'] = local;
    const date = new Date(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
    if (date.getMonth() === Number(mo) - 1 && date.getDate() === Number(d)) return date.getTime() / 1000;
  } else if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(t)) {
    const ms = Date.parse(t);
    if (!Number.isNaN(ms)) return ms / 1000;
  }
  throw usage(
    `${flag} ${JSON.stringify(text)}: use a duration back from now (30m, 2h, 7d), a local date ` +
      '(2026-12-01), a local date and time (2026-12-01 14:30), an ISO time with a zone, or epoch seconds',
  );
}
