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
 * - the mail (notifier.tick: digest and daily report when due, then the queue; it never
 *   rejects) armed for when the notifier says its next work is due (the digest's interval,
 *   the daily report's time, a failed send's retry), at most every 5 s, woken by a block or
 *   an alert; never without SMTP. Before issue 13's idle pass it ticked every 5 s while SMTP
 *   was configured, whatever was due: 12 wake-ups a minute for nothing;
 * - store pruning every 6 h: history older than HISTORY_DAYS, expired blocks. A failed
 *   prune is logged as a store failure and tried again at the next interval.
 */
import type { Store } from '../ports/store.js';
import { DueTimer } from './due-timer.js';
import { REFRESH_MS as HOST_REFRESH_MS } from './host-view.js';
import type { MailInForce } from './mail.js';
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
    const mail = mailTimer(p);
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

/**
 * The mail's timer: armed for the notifier's next due time, the first tick no sooner than
 * `gapMs` after the start (as the 5 s tick had it: nothing more at the daemon's start).
 */
export function mailTimer(
  p: { mail: Pick<MailInForce, 'notifier' | 'watchDue'>; clock(): number },
  gapMs = NOTIFY_TICK_MS,
): DueTimer {
  const first = p.clock() + gapMs / 1000;
  const timer = new DueTimer({
    run: () => p.mail.notifier.tick(),
    next: () => Math.max(p.mail.notifier.nextDue(), first),
    clock: p.clock,
    minGapMs: gapMs,
    maxSleepMs: MAX_SLEEP_MS,
  });
  p.mail.watchDue(() => timer.poke());
  return timer;
}

async function prune(p: PeriodicParts, store: Store, failed: (e: unknown) => void): Promise<void> {
  const now = p.clock();
  try {
    await store.prune({ historyBefore: now - p.config().historyDays * 86400, now });
  } catch (e) {
    failed(e);
  }
}
