/**
 * An in-memory ClusterBus (ports/cluster.ts) for tests: one instance is the "Redis" several
 * in-process hosts share. It folds events with core/cluster/merge.ts applyEvent (the rules
 * the Redis Lua script must match; cluster.contract.ts checks both), trims its stream to
 * `maxLen` exactly, and can be taken down and up again (`setDown`) to test failures.
 */

import type { ClusterEvent } from '../core/cluster/events.js';
import { decodeEvent, encodeEvent } from '../core/cluster/events.js';
import { applyEvent, emptyFleet, type FleetState, isStale, pruneTombstones } from '../core/cluster/merge.js';
import { SipprotError } from '../core/errors.js';
import {
  type BusState,
  type ClusterBus,
  compareIds,
  type HostInfo,
  type PublishResult,
  type Snapshot,
  type StreamEntry,
  type StreamInfo,
} from '../ports/cluster.js';

interface Entry {
  id: string;
  raw: string;
  escalation: number | null;
}

/** The state a set of connections share (what one redis-server holds). */
class Shared {
  entries: Entry[] = [];
  seq = 0;
  maxDeleted = '0-0';
  fleet: FleetState = emptyFleet();
  covers = '0-0';
  readonly seenIds = new Map<string, PublishResult>();
  readonly hostInfo = new Map<string, HostInfo>();
  readonly leases = new Map<string, string>();
  readonly tables = new Map<string, Uint8Array>();
  readonly waiters = new Set<() => void>();
  readonly conns = new Set<FakeClusterBus>();
  down = false;
  constructor(readonly maxLen: number | undefined) {}
}

export class FakeClusterBus implements ClusterBus {
  private readonly s: Shared;
  private closed = false;
  private readonly listeners: Array<(s: BusState, why: string) => void> = [];

  constructor(opts: { maxLen?: number } | { shared: Shared } = {}) {
    this.s = 'shared' in opts ? opts.shared : new Shared(opts.maxLen);
    this.s.conns.add(this);
  }

  /** Another connection to the same fake Redis (another host). */
  connect(): FakeClusterBus {
    return new FakeClusterBus({ shared: this.s });
  }

  /** Simulates Redis going away (every call rejects) and coming back. */
  setDown(down: boolean): void {
    this.s.down = down;
    for (const c of this.s.conns)
      for (const l of c.listeners) l(down ? 'down' : 'up', down ? 'fake down' : 'fake up');
    this.wake();
  }

  /** Appends a raw stream entry as a compromised or broken host might. */
  injectRaw(raw: string): string {
    const id = `${++this.s.seq}-0`;
    this.s.entries.push({ id, raw, escalation: null });
    this.wake();
    return id;
  }

  async publish(events: readonly ClusterEvent[]): Promise<PublishResult[]> {
    this.check();
    const out: PublishResult[] = [];
    for (const e of events) {
      const seen = this.s.seenIds.get(e.id);
      if (seen) {
        out.push({ ...seen, duplicate: true });
        continue;
      }
      if (isStale(this.s.fleet, e)) {
        out.push({ id: this.s.covers, duplicate: false, stale: true, escalation: null });
        continue;
      }
      const escalation = applyEvent(this.s.fleet, e);
      const id = `${++this.s.seq}-0`;
      this.s.entries.push({ id, raw: encodeEvent(e), escalation });
      this.s.covers = id;
      const r = { id, duplicate: false, stale: false, escalation };
      this.s.seenIds.set(e.id, r);
      out.push(r);
    }
    this.trim();
    this.wake();
    return out;
  }

  async read(after: string, opts: { count: number; blockMs: number }): Promise<StreamEntry[]> {
    this.check();
    let found = this.after(after, opts.count);
    if (found.length === 0 && opts.blockMs > 0) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(t);
          this.s.waiters.delete(done);
          resolve();
        };
        const t = setTimeout(done, opts.blockMs);
        this.s.waiters.add(done);
      });
      this.check();
      found = this.after(after, opts.count);
    }
    return found.map((e) => {
      const d = decodeEvent(e.raw);
      return d.ok
        ? { id: e.id, event: d.event, escalation: e.escalation }
        : { id: e.id, event: null, reason: d.reason, escalation: null };
    });
  }

  async missed(after: string): Promise<boolean> {
    this.check();
    return compareIds(after, this.s.maxDeleted) < 0;
  }

  async snapshot(): Promise<Snapshot> {
    this.check();
    // A deep copy through the wire format, as a real snapshot is.
    const copy = emptyFleet();
    for (const [ip, b] of this.s.fleet.blocks) copy.blocks.set(ip, { ...b, users: b.users.slice() });
    for (const name of ['allow', 'deny'] as const) {
      for (const [k, v] of this.s.fleet.lists[name]) copy.lists[name].set(k, { ...v });
    }
    for (const [k, v] of this.s.fleet.settings) copy.settings.set(k, { ...v });
    for (const [k, v] of this.s.fleet.recipients) copy.recipients.set(k, { ...v });
    for (const [k, v] of this.s.fleet.escalation) copy.escalation.set(k, v);
    copy.geoip = this.s.fleet.geoip && { ...this.s.fleet.geoip };
    for (const [k, v] of this.s.fleet.unblocked) copy.unblocked.set(k, { ...v });
    copy.forgotBefore = this.s.fleet.forgotBefore;
    return { covers: this.s.covers, fleet: copy, rejected: 0 };
  }

  async heartbeat(info: HostInfo): Promise<void> {
    this.check();
    this.s.hostInfo.set(info.host, { ...info });
  }

  async hosts(): Promise<HostInfo[]> {
    this.check();
    return [...this.s.hostInfo.values()].map((h) => ({ ...h })).sort((a, b) => a.host.localeCompare(b.host));
  }

  async streamInfo(): Promise<StreamInfo> {
    this.check();
    return { length: this.s.entries.length, lastId: this.s.entries.at(-1)?.id ?? this.s.maxDeleted };
  }

  async claim(job: string, holder: string, ttlSeconds: number): Promise<boolean> {
    this.check();
    if (this.s.leases.has(job)) return false;
    this.s.leases.set(job, holder);
    setTimeout(() => this.s.leases.delete(job), ttlSeconds * 1000).unref();
    return true;
  }

  async pruneExpired(now: number): Promise<number> {
    this.check();
    let n = 0;
    for (const [ip, b] of this.s.fleet.blocks) {
      if (b.expiresAt !== null && b.expiresAt <= now) {
        this.s.fleet.blocks.delete(ip);
        n++;
      }
    }
    return n;
  }

  async pruneTombstones(before: number): Promise<number> {
    this.check();
    return pruneTombstones(this.s.fleet, before);
  }

  async pruneHosts(before: number): Promise<number> {
    this.check();
    let n = 0;
    for (const [host, h] of this.s.hostInfo)
      if (h.at <= before) {
        this.s.hostInfo.delete(host);
        n++;
      }
    return n;
  }

  async putGeoTable(sha256: string, bytes: Uint8Array): Promise<void> {
    this.check();
    this.s.tables.set(sha256, bytes.slice());
  }

  async getGeoTable(sha256: string): Promise<Uint8Array | null> {
    this.check();
    return this.s.tables.get(sha256)?.slice() ?? null;
  }

  state(): BusState {
    return this.closed ? 'closed' : this.s.down ? 'down' : 'up';
  }

  /** As Redis: at once when up, else when it comes back, or false after `timeoutMs`. */
  async ready(timeoutMs: number): Promise<boolean> {
    if (this.state() === 'up') return true;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.s.waiters.delete(done);
        resolve();
      };
      const t = setTimeout(done, timeoutMs);
      this.s.waiters.add(done);
    });
    return this.state() === 'up';
  }

  onState(cb: (s: BusState, why: string) => void): void {
    this.listeners.push(cb);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.s.conns.delete(this);
    this.wake();
  }

  private check(): void {
    if (this.closed) throw new SipprotError('SP_ERR_CLUSTER', 'the cluster bus is closed');
    if (this.s.down) throw new SipprotError('SP_ERR_CLUSTER', 'Redis is unreachable (fake)');
  }

  private after(after: string, count: number): Entry[] {
    const i = this.s.entries.findIndex((e) => compareIds(e.id, after) > 0);
    return i < 0 ? [] : this.s.entries.slice(i, i + count);
  }

  private trim(): void {
    const max = this.s.maxLen;
    if (max === undefined || this.s.entries.length <= max) return;
    const gone = this.s.entries.splice(0, this.s.entries.length - max);
    this.s.maxDeleted = gone.at(-1)!.id;
  }

  private wake(): void {
    for (const w of [...this.s.waiters]) w();
  }
}
