/**
 * One Server-Sent Events connection for the whole app (browsers allow few connections
 * per host): keeps the dynamic deny list current and tells the tabs what changed.
 */
import type { DynamicBlock, OpenAlert, StreamEvent } from '../../src/api/types.js';

export interface LiveRow extends DynamicBlock {
  /** Local clock (ms) when the block lifts; null when permanent. Immune to clock skew. */
  deadline: number | null;
  /** Local ms when the row arrived live (not in the first snapshot), for a highlight. */
  arrivedAt: number | null;
}

type LiveState = 'connecting' | 'open' | 'reconnecting';

type Fn = () => void;

/** The data of a live event, as the API's contract (wire/events.ts) describes it. */
function data<E extends keyof StreamEvent>(_event: E, ev: Event): StreamEvent[E] {
  return JSON.parse((ev as MessageEvent).data) as StreamEvent[E];
}

class Live {
  rows = new Map<string, LiveRow>();
  state: LiveState = 'connecting';
  /** The last live change in words, for the screen reader announcement. */
  announcement = '';
  private es: EventSource | null = null;
  private retry: ReturnType<typeof setTimeout> | null = null;
  private readonly changed = new Set<Fn>();
  private readonly listChanged = new Set<(list: string) => void>();
  private readonly settingsChanged = new Set<Fn>();
  private readonly alertsChanged = new Set<(open: OpenAlert[]) => void>();
  private readonly protectionChanged = new Set<(e: StreamEvent['protection']) => void>();
  private loggedOut: Fn = () => {};

  start(onLoggedOut: Fn): void {
    this.loggedOut = onLoggedOut;
    this.connect();
  }

  stop(): void {
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
    this.es?.close();
    this.es = null;
    this.rows.clear();
    this.state = 'connecting';
  }

  subscribe(fn: Fn): Fn {
    this.changed.add(fn);
    return () => this.changed.delete(fn);
  }

  onListChange(fn: (list: string) => void): Fn {
    this.listChanged.add(fn);
    return () => this.listChanged.delete(fn);
  }

  /** Settings changed elsewhere (another browser, a reload of the config file). */
  onSettingsChange(fn: Fn): Fn {
    this.settingsChanged.add(fn);
    return () => this.settingsChanged.delete(fn);
  }

  /** The open alerts changed (raised, counted up, acknowledged anywhere): the whole list. */
  onAlerts(fn: (open: OpenAlert[]) => void): Fn {
    this.alertsChanged.add(fn);
    return () => this.alertsChanged.delete(fn);
  }

  /** A part protection depends on stopped or works again. */
  onProtection(fn: (e: StreamEvent['protection']) => void): Fn {
    this.protectionChanged.add(fn);
    return () => this.protectionChanged.delete(fn);
  }

  /** The UI removed a row itself (unblock answered); the event will follow. */
  drop(ip: string): void {
    if (this.rows.delete(ip)) this.emit();
  }

  private emit(): void {
    for (const fn of this.changed) fn();
  }

  private row(b: DynamicBlock, live: boolean): LiveRow {
    return {
      ...b,
      deadline: b.timeLeft === null ? null : Date.now() + b.timeLeft * 1000,
      arrivedAt: live ? Date.now() : null,
    };
  }

  /** One event for a whole batch of changes: the table renders once for it. */
  private applyChanges({ blocks, unblocks }: StreamEvent['changes']): void {
    const lifted = unblocks.filter(({ ip }) => this.rows.delete(ip)).map(({ ip }) => ip);
    const fresh: DynamicBlock[] = [];
    for (const b of blocks) {
      const old = this.rows.get(b.ip);
      this.rows.set(b.ip, old ? this.renewed(old, b) : this.row(b, true));
      if (!old) fresh.push(b);
    }
    const first = fresh[0];
    if (fresh.length === 1 && first) this.announcement = `Blocked ${first.ip} (${first.reason})`;
    else if (fresh.length > 1) this.announcement = `Blocked ${fresh.length} addresses`;
    else if (lifted.length === 1) this.announcement = `Unblocked ${lifted[0]}`;
    else if (lifted.length > 1) this.announcement = `Unblocked ${lifted.length} addresses`;
    this.emit();
  }

  /**
   * A row that is still running, changed (renewed, made permanent): a row a burst built
   * from the decision says the renewal's time, so the block's start and note stay.
   */
  private renewed(old: LiveRow, b: DynamicBlock): LiveRow {
    const running = old.deadline === null || old.deadline > Date.now();
    const row = { ...this.row(b, false), arrivedAt: old.arrivedAt };
    if (!running) return row;
    return {
      ...row,
      blockedAt: Math.min(old.blockedAt, b.blockedAt),
      firstSeen: Math.min(old.firstSeen, b.firstSeen),
      note: b.note ?? old.note,
    };
  }

  private connect(): void {
    const es = new EventSource('/api/dynamic/events');
    this.es = es;
    es.addEventListener('open', () => {
      this.state = 'open';
      this.emit();
    });
    es.addEventListener('snapshot', (ev) => {
      const { blocks } = data('snapshot', ev);
      this.rows = new Map(blocks.map((b) => [b.ip, this.row(b, false)]));
      this.state = 'open';
      this.emit();
    });
    es.addEventListener('changes', (ev) => this.applyChanges(data('changes', ev)));
    es.addEventListener('lists', (ev) => {
      const { list } = data('lists', ev);
      for (const fn of this.listChanged) fn(list);
    });
    es.addEventListener('settings', () => {
      for (const fn of this.settingsChanged) fn();
    });
    es.addEventListener('alerts', (ev) => {
      const { open } = data('alerts', ev);
      for (const fn of this.alertsChanged) fn(open);
    });
    es.addEventListener('protection', (ev) => {
      const e = data('protection', ev);
      for (const fn of this.protectionChanged) fn(e);
    });
    es.addEventListener('logout', () => {
      this.stop();
      this.loggedOut();
    });
    es.addEventListener('error', () => {
      this.state = 'reconnecting';
      this.emit();
      // EventSource retries by itself unless the server refused (e.g. 401): then start over.
      if (es.readyState === EventSource.CLOSED && this.es === es) {
        this.retry = setTimeout(() => this.connect(), 5000);
      }
    });
  }
}

export const live = new Live();
