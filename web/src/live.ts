/**
 * One Server-Sent Events connection for the whole app (browsers allow few connections
 * per host): tells the tabs what changed. The dynamic list itself is read a page at a
 * time by the tab that shows it (dynamic-list.ts) after `ready`, and kept current from
 * the `changes` heard here — the whole list never comes (a flood's 52k blocks were 19 MB).
 */
import type { DynamicBlock, OpenAlert, StreamEvent } from '../../src/api/types.js';

export interface LiveRow extends DynamicBlock {
  /** Local clock (ms) when the block lifts; null when permanent. Immune to clock skew. */
  deadline: number | null;
  /** Local ms when the row arrived live (not on a page read), for a highlight. */
  arrivedAt: number | null;
}

/** A row as the UI keeps it: its countdown on the local clock. */
export function liveRow(b: DynamicBlock, arrived: boolean): LiveRow {
  return {
    ...b,
    deadline: b.timeLeft === null ? null : Date.now() + b.timeLeft * 1000,
    arrivedAt: arrived ? Date.now() : null,
  };
}

type LiveState = 'connecting' | 'open' | 'reconnecting';

type Fn = () => void;

/** The data of a live event, as the API's contract (wire/events.ts) describes it. */
function data<E extends keyof StreamEvent>(_event: E, ev: Event): StreamEvent[E] {
  return JSON.parse((ev as MessageEvent).data) as StreamEvent[E];
}

class Live {
  state: LiveState = 'connecting';
  /** The last live change in words, for the screen reader announcement. */
  announcement = '';
  private es: EventSource | null = null;
  private retry: ReturnType<typeof setTimeout> | null = null;
  private readonly changed = new Set<Fn>();
  private readonly ready = new Set<Fn>();
  private readonly changesHeard = new Set<(c: StreamEvent['changes']) => void>();
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
    this.state = 'connecting';
  }

  /** Anything live happened (the connection's state, a change of the list). */
  subscribe(fn: Fn): Fn {
    this.changed.add(fn);
    return () => this.changed.delete(fn);
  }

  /** Subscribed (at the start and after every reconnect): read the list now, nothing falls between. */
  onReady(fn: Fn): Fn {
    this.ready.add(fn);
    return () => this.ready.delete(fn);
  }

  /** A batch of the dynamic list's changes. */
  onChanges(fn: (c: StreamEvent['changes']) => void): Fn {
    this.changesHeard.add(fn);
    return () => this.changesHeard.delete(fn);
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

  private emit(): void {
    for (const fn of this.changed) fn();
  }

  /** One event for a whole batch of changes: the list applies it and renders once. */
  private applyChanges(c: StreamEvent['changes']): void {
    const { added, unblocks } = c;
    if (added.length === 1) {
      const b = c.blocks.find((r) => r.ip === added[0]);
      this.announcement = `Blocked ${added[0]}${b ? ` (${b.reason})` : ''}`;
    } else if (added.length > 1) this.announcement = `Blocked ${added.length} addresses`;
    else if (unblocks.length === 1) this.announcement = `Unblocked ${unblocks[0]!.ip}`;
    else if (unblocks.length > 1) this.announcement = `Unblocked ${unblocks.length} addresses`;
    for (const fn of this.changesHeard) fn(c);
    this.emit();
  }

  private connect(): void {
    const es = new EventSource('/api/dynamic/events');
    this.es = es;
    es.addEventListener('open', () => {
      this.state = 'open';
      this.emit();
    });
    es.addEventListener('ready', () => {
      this.state = 'open';
      for (const fn of this.ready) fn();
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
