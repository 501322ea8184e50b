/**
 * Cluster sync (issue 14): one host's side of the fleet's shared memory. Two loops, each on
 * its own Redis connection, neither on the packet path:
 * - the publisher: local decisions and changes become events (outbound.ts), go to the durable
 *   outbox (journal.ts) right after the host committed them locally, and are published in
 *   order, up to 1,000 per round trip; what Redis refused stays in the outbox for the next
 *   connection. Nothing the enforcer does waits for it.
 * - the reader: XREAD BLOCK from the last applied stream id; every entry is re-validated
 *   (core/cluster/events.ts) and applied through the host (ClusterHost: the policy's one
 *   decision path for blocks); entries of this host only raise its escalation count.
 *
 * After every (re)connection, when Redis's stream ends before the last id this host read
 * (Redis restarted empty or failed over to a replica that was behind; checked with every
 * 2-second heartbeat), and every 5 minutes, `resync`: flush the outbox, catch up the
 * stream, then compare with the snapshot (core/cluster/diff.ts) — what the fleet lacks is
 * published, what this host lacks is applied. A host whose last id was trimmed away, or a
 * new host, takes the snapshot first and reads on from the id it covers. Redis that came back
 * empty (restarted without persistence, failover to an empty replica) is refilled this way.
 */
import type { ClusterEvent, ListEvent } from '../core/cluster/events.js';
import type { HostBlock } from '../core/cluster/merge.js';
import type {
  ClusterBus,
  ClusterHost,
  ClusterStatus,
  HostInfo,
  Snapshot,
  StreamEntry,
} from '../ports/cluster.js';
import { compareIds } from '../ports/cluster.js';
import type { Logger } from '../ports/logger.js';
import { applyListRun, applyRemote, sameRun } from './inbound.js';
import type { ClusterJournal } from './journal.js';
import { Outbound } from './outbound.js';
import { antiEntropy } from './resync.js';

const READ_COUNT = 1000;
const READ_BLOCK_MS = 1000;
const PUBLISH_BATCH = 1000;
const HEARTBEAT_MS = 2000;
const RESYNC_MS = 5 * 60_000;
const PRUNE_MS = 60_000;
/**
 * Tombstones (manual unblocks, removed list entries, removed recipients) are kept this long,
 * then dropped once an hour by one host of the fleet: Redis holds what a week of changes left,
 * not every removal ever made. A host away for longer still cannot bring an old block or entry
 * back: the snapshot's `forgotBefore` tells it what the fleet forgot (core/cluster/diff.ts).
 */
export const TOMBSTONE_TTL_S = 7 * 86_400;
/** A host silent this long leaves `sipprot cluster status` (its heartbeat is deleted). */
export const HOST_TTL_S = 7 * 86_400;
const PRUNE_TOMBSTONES_S = 3600;
const RETRY_MS = 1000;

export interface SyncOptions {
  self: string;
  bus: ClusterBus;
  journal: ClusterJournal;
  host: ClusterHost;
  log: Logger;
  clock(): number;
  version: string;
  /** Seconds of expiry growth worth a renewal event (renewals are local every second). */
  extendStep: number;
}

export class ClusterSync {
  readonly out: Outbound;
  private lastId: string;
  private stopped = false;
  private resyncNeeded = true;
  private publishing: Promise<void> | null = null;
  private again = false;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly startedAt: number;
  private reading: Promise<void> | null = null;
  private lastError: string | null = null;
  private counts = { rejected: 0, applied: 0, published: 0 };

  constructor(private readonly o: SyncOptions) {
    this.startedAt = o.clock();
    this.lastId = o.journal.lastId();
    this.out = new Outbound({
      self: o.self,
      startedAt: this.startedAt,
      journal: o.journal,
      host: o.host,
      extendStep: o.extendStep,
      kick: () => this.kick(),
    });
  }

  start(): void {
    this.o.bus.onState((s, why) => {
      if (s === 'down') {
        this.resyncNeeded = true;
        this.note(`Redis unreachable: ${why}`);
      } else if (s === 'up') {
        this.o.log.info({ outbox: this.o.journal.outboxSize() }, 'cluster: Redis reachable');
        this.kick();
      }
    });
    this.reading = this.readLoop();
    this.timers.push(setInterval(() => void this.heartbeat(), HEARTBEAT_MS));
    this.timers.push(setInterval(() => (this.resyncNeeded = true), RESYNC_MS));
    this.timers.push(setInterval(() => void this.prune(), PRUNE_MS));
    this.timers.push(setInterval(() => this.kick(), RETRY_MS));
    for (const t of this.timers) t.unref();
    this.kick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers.splice(0)) clearInterval(t);
    await this.publishing;
    await this.o.bus.close().catch(() => undefined);
    await this.reading;
    this.o.journal.close();
  }

  /** Publishes the outbox now (or after the running round). */
  kick(): void {
    if (this.stopped) return;
    if (this.publishing) {
      this.again = true;
      return;
    }
    this.publishing = this.publishAll().finally(() => {
      this.publishing = null;
      if (this.again) {
        this.again = false;
        this.kick();
      }
    });
  }

  async status(): Promise<ClusterStatus> {
    const bus = this.o.bus;
    const base: ClusterStatus = {
      host: this.o.self,
      redis: bus.state(),
      lastError: this.lastError,
      lastId: this.lastId,
      streamLastId: null,
      lagMs: null,
      outbox: this.o.journal.outboxSize(),
      ...this.counts,
      hosts: [],
    };
    if (bus.state() !== 'up') return base;
    try {
      const [info, hosts] = await Promise.all([bus.streamInfo(), bus.hosts()]);
      const now = this.o.clock();
      const ms = (id: string) => Number(id.split('-')[0]);
      return {
        ...base,
        streamLastId: info.lastId,
        lagMs: Math.max(0, ms(info.lastId) - ms(this.lastId)),
        hosts: hosts.map((h) => ({ ...h, ageSeconds: Math.max(0, Math.round((now - h.at) * 10) / 10) })),
      };
    } catch (e) {
      return { ...base, lastError: message(e) };
    }
  }

  private async publishAll(): Promise<void> {
    const { bus, journal } = this.o;
    while (!this.stopped && bus.state() === 'up') {
      const batch = journal.pending(PUBLISH_BATCH);
      if (batch.length === 0) return;
      try {
        await bus.publish(batch.map((b) => b.event));
      } catch (e) {
        this.note(`publish failed, ${journal.outboxSize()} events kept in the outbox: ${message(e)}`);
        return;
      }
      journal.ack(batch.at(-1)!.seq);
      this.counts.published += batch.length;
    }
  }

  private async readLoop(): Promise<void> {
    const { bus } = this.o;
    while (!this.stopped) {
      if (bus.state() !== 'up' && !(await bus.ready(READ_BLOCK_MS))) continue;
      try {
        if (this.resyncNeeded) await this.resync();
        await this.applyAll(await bus.read(this.lastId, { count: READ_COUNT, blockMs: READ_BLOCK_MS }));
      } catch (e) {
        if (this.stopped) return;
        this.resyncNeeded = true;
        this.note(`stream read failed: ${message(e)}`);
        await new Promise((r) => setTimeout(r, RETRY_MS));
      }
    }
  }

  private async resync(): Promise<void> {
    const { bus, journal, log } = this.o;
    const t0 = performance.now();
    this.kick();
    await this.publishing;
    const fresh = this.lastId === '0-0' || (await bus.missed(this.lastId));
    if (!fresh) {
      for (;;) {
        const entries = await bus.read(this.lastId, { count: READ_COUNT, blockMs: 0 });
        if (entries.length === 0) break;
        await this.applyAll(entries);
      }
    }
    const t1 = performance.now();
    const snap: Snapshot = await bus.snapshot();
    const snapshotMs = Math.round(performance.now() - t1);
    const r = await antiEntropy({ ...this.o, snap, now: this.o.clock(), out: this.out });
    if (fresh || compareIds(snap.covers, this.lastId) < 0) {
      // A fresh start reads on from what the snapshot covers; so does a host ahead of a Redis
      // that lost entries (its ids restart below ours).
      this.lastId = snap.covers;
      journal.setLastId(this.lastId);
    }
    this.counts.rejected += snap.rejected;
    this.resyncNeeded = false;
    this.lastError = null;
    void this.heartbeat();
    log.info(
      { fresh, ms: Math.round(performance.now() - t0), snapshotMs, ...r, covers: snap.covers },
      'cluster: in sync with the fleet',
    );
  }

  /**
   * Applies a read's entries in order. Consecutive peer blocks are adopted in one call, and
   * consecutive changes of one list in one list write (a 100k deny list is ten events: one
   * file write, one list rebuild and one kernel load instead of ten growing ones, which took
   * minutes on a loaded host); anything else ends the run, so the order of effects holds.
   */
  private async applyAll(entries: StreamEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const { host, self } = this.o;
    let run: Array<{ e: ClusterEvent; escalation: number | null }> = [];
    for (const x of entries) {
      if (x.event === null) {
        this.refused(x);
        continue;
      }
      const e = x.event;
      if (e.host === self) {
        // This host's own events: the fleet's escalation count only.
        if (e.type === 'block' && x.escalation !== null) host.raiseEscalation(e.block.ip, x.escalation);
        continue;
      }
      if (run.length > 0 && !sameRun(run[0]!.e, e)) {
        await this.applyRun(run);
        run = [];
      }
      run.push({ e, escalation: x.escalation });
    }
    if (run.length > 0) await this.applyRun(run);
    this.lastId = entries.at(-1)!.id;
    this.o.journal.setLastId(this.lastId);
  }

  private refused(x: StreamEntry): void {
    this.counts.rejected++;
    if (this.counts.rejected <= 10 || this.counts.rejected % 1000 === 0)
      this.o.log.warn(
        { id: x.id, reason: x.reason, rejected: this.counts.rejected },
        'cluster: malformed event refused',
      );
  }

  private async applyRun(run: Array<{ e: ClusterEvent; escalation: number | null }>): Promise<void> {
    const { host, journal, log } = this.o;
    const first = run[0]!.e;
    try {
      if (first.type === 'block') {
        const blocks: HostBlock[] = [];
        for (const { e, escalation } of run) {
          if (e.type !== 'block') continue;
          if (escalation !== null) host.raiseEscalation(e.block.ip, escalation);
          blocks.push(e.block);
        }
        host.adopt(blocks);
      } else if (first.type === 'list') {
        await applyListRun(
          run.map((x) => x.e as ListEvent),
          { host, journal, log },
        );
      } else {
        for (const { e } of run) await applyRemote(e, { host, journal, log });
      }
      this.counts.applied += run.length;
    } catch (err) {
      log.error(
        { err, id: first.id, type: first.type, events: run.length },
        'cluster: applying events failed',
      );
    }
  }

  private async heartbeat(): Promise<void> {
    if (this.o.bus.state() !== 'up') return;
    const info: HostInfo = {
      host: this.o.self,
      at: this.o.clock(),
      startedAt: this.startedAt,
      version: this.o.version,
      lastId: this.lastId,
      outbox: this.o.journal.outboxSize(),
      rejected: this.counts.rejected,
    };
    await this.o.bus.heartbeat(info).catch(() => undefined);
    // A Redis that lost what this host already read (restarted empty, failed over to a
    // replica behind) has a stream that ends before our last id: compare and refill it.
    const last = await this.o.bus.streamInfo().catch(() => null);
    if (last !== null && compareIds(last.lastId, this.lastId) < 0) {
      if (!this.resyncNeeded)
        this.o.log.warn({ ours: this.lastId, redis: last.lastId }, 'cluster: Redis lost events; resyncing');
      this.resyncNeeded = true;
    }
  }

  /** Expired blocks every minute; tombstones and silent hosts' heartbeats once an hour. */
  async prune(now = this.o.clock()): Promise<void> {
    const { bus, self, log } = this.o;
    if (bus.state() !== 'up') return;
    try {
      if (await bus.claim('prune', self, (PRUNE_MS / 1000) * 0.9)) await bus.pruneExpired(now);
      if (await bus.claim('prune-tombstones', self, PRUNE_TOMBSTONES_S * 0.9)) {
        const tombstones = await bus.pruneTombstones(now - TOMBSTONE_TTL_S);
        const hosts = await bus.pruneHosts(now - HOST_TTL_S);
        if (tombstones + hosts > 0)
          log.info({ tombstones, hosts }, 'cluster: pruned old tombstones and silent hosts');
      }
    } catch {
      // the next minute tries again
    }
  }

  private note(msg: string): void {
    if (this.lastError === msg) return;
    this.lastError = msg;
    this.o.log.warn({}, `cluster: ${msg}`);
  }
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
