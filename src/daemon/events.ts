/**
 * Live events (decisions, list and settings changes) fanned out to the API's subscribers:
 * the web UI's live views over server-sent events. Emitting never throws and never waits:
 * a slow or broken subscriber must not delay the enforcer that emits.
 */
import type { LiveEvent } from '../api/types.js';

/** Fan-out of live events to the API's subscribers (the web UI's live views). */
export class LiveEvents {
  private readonly subscribers = new Set<(e: LiveEvent) => void>();

  subscribe(cb: (e: LiveEvent) => void): () => void {
    this.subscribers.add(cb);
    return () => this.subscribers.delete(cb);
  }

  emit(e: LiveEvent): void {
    for (const cb of this.subscribers) {
      try {
        cb(e);
      } catch {
        // a broken subscriber must never disturb enforcement
      }
    }
  }
}

/**
 * `fn` at most once per `ms`, for the last call's sake: the first call runs at once, calls
 * within `ms` of it run once more when `ms` is over. For live events that only say "look
 * again" (the alert board): 900 alerts in a flood's 10 s were 900 refetches per live view.
 */
export function throttled(fn: () => void, ms: number): () => void {
  let last = -Infinity;
  let timer: NodeJS.Timeout | null = null;
  const run = () => {
    timer = null;
    last = performance.now();
    fn();
  };
  return () => {
    if (timer) return;
    const wait = last + ms - performance.now();
    if (wait <= 0) run();
    else {
      timer = setTimeout(run, wait);
      timer.unref();
    }
  };
}
