/**
 * The daemon's periodic work (split out of daemon.ts, issue 11), one timer each, all
 * started once the API listens and all stopped first on stop:
 * - the policy tick every 250 ms (pipeline.tick: expired blocks lift, unanswered challenges
 *   are judged);
 * - the host's protected peers every 5 s (host-view.ts REFRESH_MS, read off the event loop);
 * - the mail every 5 s (notifier.tick: digest and daily report when due, then the queue;
 *   it never rejects);
 * - store pruning every 6 h: history older than HISTORY_DAYS, expired blocks. A failed
 *   prune is logged as a store failure and tried again at the next interval.
 */
import type { Store } from '../ports/store.js';
import { REFRESH_MS as HOST_REFRESH_MS } from './host-view.js';
import type { RunningParts } from './running.js';

const TICK_MS = 250;
const NOTIFY_TICK_MS = 5000;
const PRUNE_MS = 6 * 3600_000;

/** What the timers move on: the parts in force (running.ts) and the store. */
export type PeriodicParts = Pick<RunningParts, 'pipeline' | 'host' | 'mail' | 'config' | 'clock'>;

export class Periodic {
  private readonly timers: NodeJS.Timeout[] = [];

  /** `storeFailed`: a failed prune (logged; tried again at the next interval). */
  start(p: PeriodicParts, store: Store, storeFailed: (e: unknown) => void): void {
    this.timers.push(setInterval(() => p.pipeline.tick(), TICK_MS));
    this.timers.push(setInterval(() => void p.host.refreshLater(), HOST_REFRESH_MS));
    this.timers.push(setInterval(() => void p.mail.notifier.tick(), NOTIFY_TICK_MS));
    this.timers.push(setInterval(() => void prune(p, store, storeFailed), PRUNE_MS));
  }

  stop(): void {
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
