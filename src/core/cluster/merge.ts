/**
 * The cluster's merge rules (issue 14), pure and deterministic: whatever order events arrive
 * in, and however often (a re-sent outbox, a re-read stream), every host and the Redis
 * snapshot end in the same state.
 *
 * - Blocks: one record per address; merging two is commutative, associative and idempotent.
 *   Permanent (expiresAt null) beats any expiry; otherwise the later expiry wins — a re-added
 *   block extends, never shortens. The record of the earliest `blockedAt` (ties: the lower
 *   host id) keeps its facts (reason, user agent, host); counts and last-seen take the max.
 *   A manual unblock deletes the record (a later block starts a new one) and leaves a
 *   tombstone (its time and host): a block event of an episode that started before it
 *   (blockedAt ≤ the unblock's at) is stale and refused, whenever it arrives — a host that
 *   was offline or partitioned while the admin unblocked, and kept renewing the block there,
 *   must not bring it back when it returns (`isStale`). A new episode (blockedAt later) is a
 *   new block. Tombstones older than the prune horizon are dropped (pruneTombstones), and
 *   `forgotBefore` remembers the horizon: what a returning host holds from before it and the
 *   fleet no longer knows was removed here and forgotten (core/cluster/diff.ts).
 * - Lists, settings, recipients: last writer wins per entry, ordered by (at, host, removed,
 *   value) — a total order, so two hosts that changed one entry at the same second still
 *   agree. Removals are kept as tombstones so a host that missed the removal learns it.
 * - Escalation (BLOCK_THRESHOLD): a fleet-wide count per address, raised by each episode
 *   ('block' or 'permanent' not by hand) and never lowered except by an unblock that
 *   forgets history.
 * - At apply time each host still asks its own allow list first (policy.adopt): allow beats
 *   everything on every host, whatever a peer sent.
 *
 * `applyEvent` is the snapshot fold: the fake bus runs it, and the Redis adapter's Lua script
 * implements the same rules (one contract suite checks both against this file's table).
 */
import type { BlockRecord, ListEntry, ListName } from '../types.js';
import type { ClusterEvent } from './events.js';

export type HostBlock = BlockRecord & { host: string };

/** A last-writer-wins version of an entry. */
export interface Version {
  at: number;
  host: string;
  removed: boolean;
}

export interface FleetEntry extends Version {
  /** The list note, the setting's value, or the recipient's name ('' when none). */
  value: string;
}

/** What the fleet holds: the snapshot a joining host loads (then the stream after `covers`). */
export interface FleetState {
  blocks: Map<string, HostBlock>;
  lists: Record<ListName, Map<string, FleetEntry>>;
  settings: Map<string, FleetEntry>;
  /** Lower-cased address → entry (value = the name). */
  recipients: Map<string, FleetEntry & { email: string }>;
  escalation: Map<string, number>;
  geoip: { sha256: string; bytes: number; at: number; host: string } | null;
  /** Event ids already folded in: a second publish of one id changes nothing (Redis: seen keys). */
  seen: Set<string>;
  /** Manual unblocks: address → the unblock's time and host (tombstones, pruned by age). */
  unblocked: Map<string, Unblocked>;
  /** Tombstones (unblocks, removed entries) at or before this time were pruned (0: none). */
  forgotBefore: number;
}

export interface Unblocked {
  at: number;
  host: string;
}

export function emptyFleet(): FleetState {
  return {
    blocks: new Map(),
    lists: { allow: new Map(), deny: new Map() },
    settings: new Map(),
    recipients: new Map(),
    escalation: new Map(),
    geoip: null,
    seen: new Set(),
    unblocked: new Map(),
    forgotBefore: 0,
  };
}

/**
 * True when a block event belongs to an episode the fleet lifted by hand after it started
 * (blockedAt ≤ the unblock's time), or to one from before the pruned tombstones' horizon
 * that the fleet no longer holds (lifted or expired, then forgotten): refused, neither folded
 * nor appended to the stream. A new episode (blockedAt later) is never stale.
 */
export function isStale(
  s: Pick<FleetState, 'unblocked' | 'blocks' | 'forgotBefore'>,
  e: ClusterEvent,
): boolean {
  if (e.type !== 'block') return false;
  const u = s.unblocked.get(e.block.ip);
  if (u !== undefined && e.block.blockedAt <= u.at) return true;
  return !s.blocks.has(e.block.ip) && e.block.blockedAt <= s.forgotBefore;
}

/** True when `a` is strictly the later write (the total order of last-writer-wins). */
export function later(a: FleetEntry | Version, b: FleetEntry | Version): boolean {
  if (a.at !== b.at) return a.at > b.at;
  if (a.host !== b.host) return a.host > b.host;
  if (a.removed !== b.removed) return a.removed;
  const av = 'value' in a ? a.value : '';
  const bv = 'value' in b ? b.value : '';
  return av > bv;
}

/** The entry that wins, `current` when equal (idempotent). */
export function lww<T extends FleetEntry>(current: T | undefined, incoming: T): T {
  return current === undefined || later(incoming, current) ? incoming : current;
}

function firstOf(a: HostBlock, b: HostBlock): HostBlock {
  if (a.blockedAt !== b.blockedAt) return a.blockedAt < b.blockedAt ? a : b;
  return a.host <= b.host ? a : b;
}

/** Two records of one address merged (see the header); `current` undefined = `incoming`. */
export function mergeBlock(current: HostBlock | undefined, incoming: HostBlock): HostBlock {
  if (current === undefined) return { ...incoming, users: incoming.users.slice() };
  const base = firstOf(current, incoming);
  const expiresAt =
    current.expiresAt === null || incoming.expiresAt === null
      ? null
      : Math.max(current.expiresAt, incoming.expiresAt);
  return {
    ...base,
    users: base.users.slice(),
    expiresAt,
    lastSeen: Math.max(current.lastSeen, incoming.lastSeen),
    attempts: Math.max(current.attempts, incoming.attempts),
    timesBlocked: Math.max(current.timesBlocked, incoming.timesBlocked),
  };
}

/** True when the event starts a block episode that counts toward BLOCK_THRESHOLD. */
export function countsTowardThreshold(e: ClusterEvent): boolean {
  return e.type === 'block' && e.action !== 'extend' && e.block.reason !== 'manual';
}

/**
 * Folds one event into the fleet state (the snapshot); returns the fleet escalation count for
 * blocks. A stale block (isStale) changes nothing: the caller does not append it either.
 */
export function applyEvent(s: FleetState, e: ClusterEvent): number | null {
  if (s.seen.has(e.id)) return e.type === 'block' ? (s.escalation.get(e.block.ip) ?? 0) : null;
  if (isStale(s, e)) return null;
  s.seen.add(e.id);
  switch (e.type) {
    case 'block': {
      s.blocks.set(e.block.ip, mergeBlock(s.blocks.get(e.block.ip), e.block));
      const n = (s.escalation.get(e.block.ip) ?? 0) + (countsTowardThreshold(e) ? 1 : 0);
      if (n > 0) s.escalation.set(e.block.ip, n);
      return n;
    }
    case 'unblock': {
      s.blocks.delete(e.ip);
      if (e.forgetHistory) s.escalation.delete(e.ip);
      const u = s.unblocked.get(e.ip);
      if (u === undefined || e.at > u.at || (e.at === u.at && e.host > u.host))
        s.unblocked.set(e.ip, { at: e.at, host: e.host });
      return null;
    }
    case 'list': {
      const m = s.lists[e.list];
      for (const x of e.entries) {
        const v = {
          at: e.at,
          host: e.host,
          removed: e.op === 'remove',
          value: e.op === 'remove' ? '' : x.note,
        };
        m.set(x.network, lww(m.get(x.network), v));
      }
      return null;
    }
    case 'settings':
      for (const [k, value] of Object.entries(e.values)) {
        s.settings.set(k, lww(s.settings.get(k), { at: e.at, host: e.host, removed: false, value }));
      }
      return null;
    case 'recipient': {
      const k = e.email.toLowerCase();
      const v = { at: e.at, host: e.host, removed: e.removed, value: e.name ?? '', email: e.email };
      s.recipients.set(k, lww(s.recipients.get(k), v));
      return null;
    }
    case 'geoip':
      if (s.geoip === null || later({ ...e, removed: false }, { ...s.geoip, removed: false })) {
        s.geoip = { sha256: e.sha256, bytes: e.bytes, at: e.at, host: e.host };
      }
      return null;
    case 'attack':
      return null;
  }
}

/**
 * Drops the tombstones written at or before `before` (manual unblocks, removed list entries
 * and recipients) and remembers that horizon in `forgotBefore`; returns how many. The Redis
 * adapter's prune script does the same.
 */
export function pruneTombstones(s: FleetState, before: number): number {
  let n = 0;
  for (const [ip, u] of s.unblocked)
    if (u.at <= before) {
      s.unblocked.delete(ip);
      n++;
    }
  for (const m of [s.lists.allow, s.lists.deny, s.recipients] as Array<Map<string, FleetEntry>>)
    for (const [k, e] of m)
      if (e.removed && e.at <= before) {
        m.delete(k);
        n++;
      }
  s.forgotBefore = Math.max(s.forgotBefore, before);
  return n;
}

/** The fleet's blocks still in force at `now`. */
export function liveBlocks(blocks: Iterable<HostBlock>, now: number): HostBlock[] {
  return [...blocks].filter((b) => b.expiresAt === null || b.expiresAt > now);
}

/** The live entries of a last-writer-wins map (tombstones dropped), as list entries. */
export function liveEntries(m: ReadonlyMap<string, FleetEntry>): ListEntry[] {
  const out: ListEntry[] = [];
  for (const [network, e] of m) if (!e.removed) out.push({ network, note: e.value });
  return out;
}
