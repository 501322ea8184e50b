/**
 * What the live views hear, made once for all of them and gathered: the dynamic list's
 * changes go out as one `changes` event per BATCH_MS (250 ms; the first change after a quiet
 * moment at the end of its event-loop turn), however many decisions the enforcer made.
 *
 * Why: one event per decision cost the event loop, per decision and per open view, a
 * store read (a synchronous SQLite query) and an SSE frame; in the issue-13 flood (52k
 * blocks and 250k renewals) a browser left open was tens of thousands of reads and
 * frames on the packet path's thread. Now a burst costs a map entry per decision (the
 * address's last decision wins) and a few frames a second; the rows of a small batch
 * (≤ STORE_ROWS) come from the store (the merged record), a bigger one's from the
 * decisions themselves (blockRecordOf: the same fields; an extension's row keeps the
 * block's start in the UI, live.ts). Nothing is read or gathered while no view is open.
 *
 * A `changes` event names the rows that are new blocks (`added`): a view that shows one
 * page of a 100k list counts them without the rows it does not show.
 *
 * Order is kept: an event of another kind (lists, settings, alerts, protection) first sends
 * the changes gathered before it, and frames are made one after another.
 */
import { blockRecordOf } from '../core/policy/block-record.js';
import type { Decision } from '../core/types.js';
import { type Admin, type DynamicBlock, dynamicBlock } from '../ports/admin.js';
import type { Store } from '../ports/store.js';
import type { LiveEvent } from './types.js';
import type { StreamEvent } from './wire/events.js';

/** At most one `changes` event per this many ms in a burst. */
export const BATCH_MS = 250;
/** A batch of at most this many blocks reads its rows from the store (≤ 64 reads a second). */
export const STORE_ROWS = 16;

export interface FeedDeps {
  admin: Pick<Admin, 'alerts'>;
  store: Pick<Store, 'getBlock'>;
  events: { subscribe(cb: (e: LiveEvent) => void): () => void };
  clock(): number;
  /** A frame that could not be made (a failed read): logged, the others still go. */
  warn(err: unknown, msg: string): void;
}

export function sseFrame<E extends keyof StreamEvent>(event: E, data: StreamEvent[E]): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

type Frame = string | null;

export class LiveFeed {
  private readonly views = new Set<(frame: string) => void>();
  private unsubscribe: (() => void) | null = null;
  /** Address → its last decision since the last `changes` event. */
  private pending = new Map<string, Decision>();
  /** Addresses newly blocked since the last `changes` event (a view counts them). */
  private added = new Set<string>();
  /** Cancels the flush that is due (a timer or, after a quiet moment, an immediate). */
  private timer: (() => void) | null = null;
  private lastFlush = Number.NEGATIVE_INFINITY;
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly d: FeedDeps) {}

  /** A view joins: it gets every frame made from now on; the returned function leaves. */
  join(send: (frame: string) => void): () => void {
    this.views.add(send);
    this.unsubscribe ??= this.d.events.subscribe((e) => this.heard(e));
    return () => {
      this.views.delete(send);
      if (this.views.size > 0) return;
      this.unsubscribe?.();
      this.unsubscribe = null;
      this.cancel();
      this.pending = new Map();
      this.added = new Set();
    };
  }

  private heard(e: LiveEvent): void {
    if (e.type !== 'decision') {
      this.flush();
      this.queue(() => this.frameOf(e));
      return;
    }
    const d = e.decision;
    // A "would block" (OBSERVE) is no dynamic block: not for the Dynamic Denylist view.
    if (d.action === 'observe') return;
    this.pending.delete(d.ip);
    if (d.action === 'block') this.added.add(d.ip);
    else if (d.action === 'unblock') this.added.delete(d.ip);
    this.pending.set(d.ip, d);
    if (this.timer !== null) return;
    const wait = this.lastFlush + BATCH_MS - performance.now();
    const run = () => {
      this.timer = null;
      this.flush();
    };
    if (wait <= 0) {
      const t = setImmediate(run);
      this.timer = () => clearImmediate(t);
    } else {
      const t = setTimeout(run, wait);
      t.unref();
      this.timer = () => clearTimeout(t);
    }
  }

  private cancel(): void {
    this.timer?.();
    this.timer = null;
  }

  private flush(): void {
    this.cancel();
    if (this.pending.size === 0) return;
    const ds = [...this.pending.values()];
    const added = this.added;
    this.pending = new Map();
    this.added = new Set();
    this.lastFlush = performance.now();
    this.queue(() => this.changes(ds, added));
  }

  private queue(make: () => Promise<Frame>): void {
    this.chain = this.chain
      .then(make)
      .then((frame) => {
        if (frame !== null) for (const send of this.views) send(frame);
      })
      .catch((err) => this.d.warn(err, 'live event dropped'));
  }

  private async changes(ds: readonly Decision[], added: ReadonlySet<string>): Promise<Frame> {
    const now = this.d.clock();
    const blocks: DynamicBlock[] = [];
    const unblocks: StreamEvent['changes']['unblocks'] = [];
    const read = ds.length <= STORE_ROWS;
    for (const d of ds) {
      if (d.action === 'unblock') {
        unblocks.push({ ip: d.ip, reason: d.reason });
        continue;
      }
      const rec = read ? await this.d.store.getBlock(d.ip).catch(() => null) : null;
      if (rec) blocks.push(dynamicBlock(rec, now));
      // Deny-list and country drops are not dynamic blocks; the rest may not be committed yet.
      else if (d.reason !== 'deny-list' && d.reason !== 'country')
        blocks.push(dynamicBlock(blockRecordOf(d), now));
    }
    if (blocks.length === 0 && unblocks.length === 0) return null;
    const fresh = blocks.filter((b) => added.has(b.ip)).map((b) => b.ip);
    return sseFrame('changes', { blocks, added: fresh, unblocks, now });
  }

  private async frameOf(e: Exclude<LiveEvent, { type: 'decision' }>): Promise<Frame> {
    if (e.type === 'lists') return sseFrame('lists', { list: e.list });
    if (e.type === 'settings') return sseFrame('settings', {});
    if (e.type === 'alerts') return sseFrame('alerts', { open: await this.d.admin.alerts() });
    return sseFrame('protection', { part: e.part, state: e.state, reason: e.reason, at: e.at });
  }
}
