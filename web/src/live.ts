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
    es.addEventListener('block', (ev) => {
      const { block } = data('block', ev);
      const known = this.rows.has(block.ip);
      this.rows.set(block.ip, this.row(block, !known));
      if (!known) this.announcement = `Blocked ${block.ip} (${block.reason})`;
      this.emit();
    });
    es.addEventListener('unblock', (ev) => {
      const { ip } = data('unblock', ev);
      if (this.rows.delete(ip)) this.announcement = `Unblocked ${ip}`;
      this.emit();
    });
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
