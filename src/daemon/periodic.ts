/**
 * The daemon's periodic work (split out of daemon.ts, issue 11), one timer each, all
 * started once the API listens and all stopped first on stop:
 * - the policy tick (pipeline.tick: expired blocks lift, unanswered challenges are judged,
 *   detection state rotates) armed for when the engine says the next of these is due
 *   (Engine.nextDue), never more often than every 250 ms; the pipeline pokes it when a
 *   packet, a peer's block or a reload brings something due sooner. An idle daemon with
 *   nothing to lift sleeps (at most 60 s: due times are wall-clock). Before issue 13's idle
 *   pass it ran every 250 ms whatever was pending: 4 wake-ups a second for nothing;
 * - the host's protected peers every 5 s (host-view.ts REFRESH_MS, read off the event loop):
 *   an SSH session can open at any time and nothing tells the daemon but reading;
 * - the mail every 5 s while SMTP is configured (notifier.tick: digest and daily report when
 *   due, then the queue; it never rejects), not at all without it (a reload that configures
 *   SMTP is picked up within the 60 s bound; alerts are mailed at once anyway);
 * - store pruning every 6 h: history older than HISTORY_DAYS, expired blocks. A failed
 *   prune is logged as a store failure and tried again at the next interval.
 */
import type { Store } from '../ports/store.js';
import { DueTimer } from './due-timer.js';
import { REFRESH_MS as HOST_REFRESH_MS } from './host-view.js';
import type { RunningParts } from './running.js';

const TICK_MS = 250;
/** The longest a due timer sleeps with nothing due (a wall clock set forward is caught up). */
const MAX_SLEEP_MS = 60_000;
const NOTIFY_TICK_MS = 5000;
const PRUNE_MS = 6 * 3600_000;

/** What the timers move on: the parts in force (running.ts) and the store. */
export type PeriodicParts = Pick<RunningParts, 'pipeline' | 'host' | 'mail' | 'config' | 'clock'>;

export class Periodic {
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly due: DueTimer[] = [];

  /** `storeFailed`: a failed prune (logged; tried again at the next interval). */
  start(p: PeriodicParts, store: Store, storeFailed: (e: unknown) => void): void {
    const policy = new DueTimer({
      run: () => p.pipeline.tick(),
      next: () => p.pipeline.nextDue(),
      clock: p.clock,
      minGapMs: TICK_MS,
      maxSleepMs: MAX_SLEEP_MS,
    });
    p.pipeline.watchDue((due) => policy.poke(due));
    const mail = new DueTimer({
      run: () => p.mail.notifier.tick(),
      next: () => (p.mail.notifier.active ? p.clock() + NOTIFY_TICK_MS / 1000 : Number.POSITIVE_INFINITY),
      clock: p.clock,
      minGapMs: NOTIFY_TICK_MS,
      maxSleepMs: MAX_SLEEP_MS,
    });
    this.due.push(policy, mail);
    for (const t of this.due) t.start();
    this.timers.push(setInterval(() => void p.host.refreshLater(), HOST_REFRESH_MS));
    this.timers.push(setInterval(() => void prune(p, store, storeFailed), PRUNE_MS));
  }

  stop(): void {
    for (const t of this.due.splice(0)) t.stop();
    for (const t of this.timers.splice(0)) clearInterval(t);
  }
}

async function prune(p: PeriodicParts, store: Store, failed: (e: unknown) => void): Promise<void> {
  const now = p.clock();
  try {
    await store.prune({ historyBefore: now - p.config().historyDays * 86400, now });
  } catch (e) {
    failed(e);
  }
}
