/**
 * The decisions of a period read in pages of PAGE rows, the event loop let go between
 * them: for the mail digest (notify/digest.ts, every block since the last one) and the
 * webhooks' catch-up after a restart (webhooks/notifier.ts, up to an hour).
 *
 * Why: the store's read is synchronous SQLite on the daemon's thread. After a flood the
 * digest's period holds tens of thousands of decisions: 52,407 rows in one read held the
 * event loop 0.7–1.6 s here (load ~10), packets and the API waiting. In pages of 250 a
 * hold is a few ms; the work is the same.
 *
 * The store answers newest first (`at` descending, then insertion descending) with a
 * limit, and `to` is exclusive: the next page asks up to just after the last page's
 * oldest instant and drops the rows of that instant it already has (they come first, in
 * the same order). A page all of one instant is followed by that instant whole.
 */
import type { Decision } from '../core/types.js';

/** The store's decision query (ports/store.ts `decisions`), newest first. */
interface DecisionReader {
  decisions(q: { from: number; to: number; limit?: number }): Promise<Decision[]>;
}

export const PAGE = 250;
/** Just after an instant (epoch seconds; 4 ulps at today's times, below the store's ms). */
const EPS = 1e-6;

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Decisions with from ≤ at < to, oldest first, as one read would give them. */
export async function decisionsInPages(
  store: DecisionReader,
  from: number,
  to: number,
  page = PAGE,
  pause: () => Promise<void> = nextTurn,
): Promise<Decision[]> {
  const newestFirst: Decision[] = [];
  let upper = to;
  /** The instant the last page ended on, and how many of its rows are taken. */
  let edge = Number.NaN;
  let taken = 0;
  for (;;) {
    const rows = await store.decisions({ from, to: upper, limit: page });
    const fresh = withoutTaken(rows, edge, taken);
    for (const d of fresh) newestFirst.push(d);
    if (rows.length < page) break;
    const oldest = rows[rows.length - 1]!.at;
    if (rows[0]!.at === oldest) {
      const had = (oldest === edge ? taken : 0) + fresh.length;
      const whole = await store.decisions({ from: oldest, to: oldest + EPS });
      for (const d of withoutTaken(whole, oldest, had)) newestFirst.push(d);
      upper = oldest;
      edge = Number.NaN;
      taken = 0;
    } else {
      edge = oldest;
      taken = rows.filter((d) => d.at === oldest).length;
      upper = oldest + EPS;
    }
    await pause();
  }
  return newestFirst.reverse();
}

/** `rows` less the first `taken` of them at instant `edge`. */
function withoutTaken(rows: readonly Decision[], edge: number, taken: number): Decision[] {
  let n = 0;
  return rows.filter((d) => !(d.at === edge && n++ < taken));
}
