/**
 * The cluster journal: what one host must remember of the fleet across a crash, in
 * STATE_DIR/cluster.db (SQLite, WAL, synchronous=NORMAL: a commit is in the WAL file before
 * it returns, so a kill -9 of the daemon loses no committed row; a power loss may lose the
 * last ones, which anti-entropy at the next start recovers from the store and the list
 * files — one fsync fewer on the way from a decision to the fleet):
 * - the outbox: events this host decided that Redis has not acknowledged yet (Redis down,
 *   partitioned, or the daemon killed before the publish). Appended right after the store's
 *   commit of the same decisions, deleted once Redis acknowledged them; flushed in order at
 *   every (re)connection, so a host catches up the fleet when Redis returns.
 * - the last stream id it applied (it resumes reading there after a restart);
 * - the entry versions it last agreed with the fleet (lists, settings, recipients), which
 *   anti-entropy (core/cluster/diff.ts) needs to tell a local change from a remote one;
 * - the fleet's setting versions this host refused (a country change that would lock its
 *   admin out): refused once, logged once, never tried again until the fleet's value changes.
 *
 * Kept apart from the main store (sipprot.db): it is the cluster adapter's own bookkeeping,
 * and a single host never creates it. The window between the store's commit and the outbox
 * append (a kill -9 right between two fsyncs) is closed by anti-entropy at the next start:
 * the blocks and list entries are in the store and the files, and are published then.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { type ClusterEvent, decodeEvent, encodeEvent } from '../core/cluster/events.js';
import type { FleetEntry } from '../core/cluster/merge.js';
import { SipprotError } from '../core/errors.js';

export type SyncedKind = 'allow' | 'deny' | 'settings' | 'recipients';

/** Versions agreed in memory, written by `commit` (with this host's own version of any key it
 * refused), or dropped by `undo`. Each settles once. */
export interface PendingAgreement {
  commit(overrides?: ReadonlyArray<readonly [string, FleetEntry]>): void;
  undo(): void;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, event TEXT NOT NULL) STRICT;
  CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
  CREATE TABLE IF NOT EXISTS synced (
    kind TEXT NOT NULL, key TEXT NOT NULL, at REAL NOT NULL, host TEXT NOT NULL,
    removed INTEGER NOT NULL, value TEXT NOT NULL, PRIMARY KEY (kind, key)
  ) STRICT;
`;

/** Outbox events kept in memory too (beyond that, a long Redis outage reads them back from disk). */
const MEM_MAX = 50_000;

export class ClusterJournal {
  private readonly db: Database.Database;
  private readonly st;
  /**
   * The events this process appended and Redis has not acknowledged, in seq order: the
   * publisher takes them from here instead of reading back and re-validating what it just
   * wrote (a burst's every event was JSON-parsed and checked again on its way out).
   * Rows at or below `diskOnly` are not here (left by an earlier run, or beyond MEM_MAX):
   * until those are acknowledged, `pending` reads the table.
   */
  private mem: Array<{ seq: number; event: ClusterEvent }> = [];
  private diskOnly = 0;
  private acked = 0;
  /** The synced versions, read once per kind and kept current (a 100k-entry list is compared
   * on every list change; reading it back from SQLite each time cost ~0.5 s). */
  private readonly cache = new Map<SyncedKind, Map<string, FleetEntry>>();

  private constructor(file: string) {
    try {
      this.db = new Database(file);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.exec(SCHEMA);
    } catch (e) {
      throw new SipprotError(
        'SP_ERR_STORE',
        `cannot open the cluster journal ${file}: ${(e as Error).message}`,
        {
          cause: e,
        },
      );
    }
    const p = (sql: string) => this.db.prepare(sql);
    this.st = {
      append: p('INSERT INTO outbox (event) VALUES (?)'),
      maxSeq: p('SELECT MAX(seq) AS m FROM outbox'),
      pending: p('SELECT seq, event FROM outbox ORDER BY seq LIMIT ?'),
      ack: p('DELETE FROM outbox WHERE seq <= ?'),
      size: p('SELECT COUNT(*) AS n FROM outbox'),
      getMeta: p('SELECT value FROM meta WHERE key = ?'),
      putMeta: p('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)'),
      synced: p('SELECT key, at, host, removed, value FROM synced WHERE kind = ?'),
      pruneSynced: p('DELETE FROM synced WHERE removed = 1 AND at <= ?'),
      putSynced: p(
        'INSERT OR REPLACE INTO synced (kind, key, at, host, removed, value) VALUES (?, ?, ?, ?, ?, ?)',
      ),
    };
    // What an earlier run left in the outbox is read from disk until acknowledged.
    this.diskOnly = (this.st.maxSeq.get() as { m: number | null }).m ?? 0;
  }

  static open(stateDir: string): ClusterJournal {
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    return new ClusterJournal(join(stateDir, 'cluster.db'));
  }

  /** Appends events to the outbox in one transaction (one fsync). */
  append(events: readonly ClusterEvent[]): void {
    if (events.length === 0) return;
    const added: Array<{ seq: number; event: ClusterEvent }> = [];
    this.db.transaction(() => {
      for (const e of events)
        added.push({ seq: Number(this.st.append.run(encodeEvent(e)).lastInsertRowid), event: e });
    })();
    if (this.mem.length + added.length > MEM_MAX) {
      // A long outage: the disk holds them all; memory starts again after them.
      this.diskOnly = added.at(-1)!.seq;
      this.mem = [];
      return;
    }
    this.mem.push(...added);
  }

  /** The oldest `limit` events not yet acknowledged (an undecodable row is dropped). */
  pending(limit: number): Array<{ seq: number; event: ClusterEvent }> {
    if (this.acked >= this.diskOnly) return this.mem.slice(0, limit);
    const out: Array<{ seq: number; event: ClusterEvent }> = [];
    for (const r of this.st.pending.all(limit) as Array<{ seq: number; event: string }>) {
      const d = decodeEvent(r.event);
      if (d.ok) out.push({ seq: r.seq, event: d.event });
    }
    return out;
  }

  /** Redis acknowledged every event up to `seq`. */
  ack(seq: number): void {
    this.st.ack.run(seq);
    this.acked = Math.max(this.acked, seq);
    let i = 0;
    while (i < this.mem.length && this.mem[i]!.seq <= seq) i++;
    if (i > 0) this.mem.splice(0, i);
  }

  outboxSize(): number {
    return (this.st.size.get() as { n: number }).n;
  }

  lastId(): string {
    return (this.st.getMeta.get('lastId') as { value: string } | undefined)?.value ?? '0-0';
  }

  setLastId(id: string): void {
    this.st.putMeta.run('lastId', id);
  }

  /** The versions last agreed with the fleet (a live view: callers must not change it). */
  synced(kind: SyncedKind): ReadonlyMap<string, FleetEntry> {
    const cached = this.cache.get(kind);
    if (cached) return cached;
    const m = new Map<string, FleetEntry>();
    const rows = this.st.synced.all(kind) as Array<{
      key: string;
      at: number;
      host: string;
      removed: number;
      value: string;
    }>;
    for (const r of rows) m.set(r.key, { at: r.at, host: r.host, removed: r.removed === 1, value: r.value });
    this.cache.set(kind, m);
    return m;
  }

  setSynced(kind: SyncedKind, entries: ReadonlyArray<readonly [string, FleetEntry]>): void {
    if (entries.length === 0) return;
    this.db.transaction(() => {
      for (const [k, e] of entries) this.st.putSynced.run(kind, k, e.at, e.host, e.removed ? 1 : 0, e.value);
    })();
    const m = this.cache.get(kind);
    if (m) for (const [k, e] of entries) m.set(k, e);
  }

  /**
   * Versions agreed with the fleet for a change this host is still applying (a fleet list:
   * kernel first, then the list file): every comparison sees them at once (a local change
   * meanwhile is not mistaken for them), but they reach disk only with `commit`, once the
   * change is durable here. A kill -9 before that leaves the older versions on disk, so the
   * next start takes the change from the fleet again instead of reading its absence from the
   * file as a local removal. `undo` (the change failed) puts the older versions back.
   */
  agree(kind: SyncedKind, entries: ReadonlyArray<readonly [string, FleetEntry]>): PendingAgreement {
    const m = this.synced(kind) as Map<string, FleetEntry>;
    const agreed = new Map<string, FleetEntry>(entries);
    const before = new Map<string, FleetEntry | undefined>();
    for (const [k, e] of agreed) {
      before.set(k, m.get(k));
      m.set(k, e);
    }
    let open = true;
    return {
      commit: (overrides = []) => {
        if (!open) return;
        open = false;
        for (const [k, e] of overrides) {
          if (m.get(k) === agreed.get(k)) m.set(k, e);
          agreed.set(k, e);
        }
        this.writeSynced(kind, agreed);
      },
      undo: () => {
        if (!open) return;
        open = false;
        for (const [k, e] of before) {
          // A later agreement on the same key (another change meanwhile) keeps its version.
          if (m.get(k) !== agreed.get(k)) continue;
          if (e === undefined) m.delete(k);
          else m.set(k, e);
        }
      },
    };
  }

  private writeSynced(kind: SyncedKind, rows: ReadonlyMap<string, FleetEntry>): void {
    if (rows.size === 0) return;
    this.db.transaction(() => {
      for (const [k, e] of rows) this.st.putSynced.run(kind, k, e.at, e.host, e.removed ? 1 : 0, e.value);
    })();
  }

  /** Forgets the removals agreed at or before `before` (the fleet pruned its tombstones). */
  pruneSynced(before: number): number {
    if (before <= 0) return 0;
    const n = this.st.pruneSynced.run(before).changes;
    if (n > 0)
      for (const m of this.cache.values())
        for (const [k, e] of m) if (e.removed && e.at <= before) m.delete(k);
    return n;
  }

  /** The fleet's setting versions this host refused (key → the version, with the fleet's value). */
  refused(): Map<string, FleetEntry> {
    const raw = (this.st.getMeta.get('refused.settings') as { value: string } | undefined)?.value;
    if (raw === undefined) return new Map();
    try {
      return new Map(Object.entries(JSON.parse(raw) as Record<string, FleetEntry>));
    } catch {
      return new Map();
    }
  }

  /** Records refused versions (a key's newer refusal replaces its older one). */
  setRefused(entries: ReadonlyArray<readonly [string, FleetEntry]>): void {
    if (entries.length === 0) return;
    const all = this.refused();
    for (const [k, e] of entries) all.set(k, e);
    this.st.putMeta.run('refused.settings', JSON.stringify(Object.fromEntries(all)));
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
