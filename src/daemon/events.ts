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
