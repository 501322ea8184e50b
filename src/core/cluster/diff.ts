/**
 * Anti-entropy (issue 14): what a host must publish and what it must apply so that it and
 * the fleet agree again — at join, after Redis returns, every few minutes (a Redis failover
 * can lose writes Redis had acknowledged), and after any local change of a list, a setting
 * or a recipient (then the fleet side is what this host last agreed with).
 *
 * Entries (list entries, settings, recipients) are compared through `synced`: the version
 * this host last agreed with the fleet (kept durably in its cluster journal). A local entry
 * that differs from `synced` was changed here (the CLI with the daemon down, a hand edit of
 * the list file, a write the fleet lost); a fleet entry later than `synced` was changed
 * elsewhere. One side changed → it wins. Both changed → the local change wins: its time is
 * `now`, later than the fleet's (last writer wins). Entries that agree cost nothing, so a
 * 100k-entry deny list compares in one pass over the maps.
 *
 * Blocks need no versions: merged blocks only grow (later expiry, permanent), so each side
 * takes what the other has and it lacks — except what the fleet lifted by hand: a local
 * block whose episode started before the fleet's unblock of that address (its tombstone), or
 * before the horizon of pruned tombstones (`forgotBefore`) when the fleet no longer has it,
 * is lifted here instead of being sent back (a host that was offline while the admin
 * unblocked must not resurrect the block). A manual unblock Redis itself lost (a failover)
 * still comes back as a block (the safe direction: the admin unblocks again).
 *
 * Entries the same way: an entry this host agreed on long ago (at or before `forgotBefore`),
 * unchanged here, that the fleet no longer has at all was removed and its tombstone pruned:
 * removed here too.
 */
import { type FleetEntry, type HostBlock, later, mergeBlock, type Unblocked } from './merge.js';

export interface EntryChanges {
  /** Entries to write locally (key → value). */
  set: Array<[string, string]>;
  /** Entries to delete locally. */
  remove: string[];
  /** Versions to publish: local changes the fleet lacks. */
  publish: Array<[string, FleetEntry]>;
  /** Versions this host now agrees with (for its journal). */
  synced: Array<[string, FleetEntry]>;
}

/**
 * Compares the local entries (key → value; absent = not there) with the fleet's. `fleet`
 * null: compare with `synced` only (a local change to publish, Redis not asked).
 */
export function reconcileEntries(
  local: ReadonlyMap<string, string>,
  synced: ReadonlyMap<string, FleetEntry>,
  fleet: ReadonlyMap<string, FleetEntry> | null,
  now: number,
  self: string,
  /** Settings: an entry this host never agreed on takes the fleet's value (a joining host with
   * default settings must not overwrite the fleet's); lists and recipients merge instead.
   * `forgotBefore`: the fleet's horizon of pruned tombstones (see the header). */
  opts: { fleetFirst?: boolean; forgotBefore?: number } = {},
): EntryChanges {
  const forgot = opts.forgotBefore ?? 0;
  const out: EntryChanges = { set: [], remove: [], publish: [], synced: [] };
  const keys = new Set<string>([...local.keys(), ...synced.keys(), ...(fleet?.keys() ?? [])]);
  for (const k of keys) {
    const mine = local.get(k);
    const s = synced.get(k);
    const f = fleet === null ? s : fleet.get(k);
    const unknownHere = s === undefined && opts.fleetFirst === true && f !== undefined;
    const changedHere = unknownHere
      ? false
      : s === undefined
        ? mine !== undefined
        : s.removed
          ? mine !== undefined
          : mine !== s.value;
    const changedThere = f !== undefined && (s === undefined || later(f, s));
    if (
      changedHere &&
      f !== undefined &&
      fleet !== null &&
      (f.removed ? mine === undefined : mine === f.value)
    ) {
      // Changed here to what the fleet holds (a kill -9 between a fleet change's file write
      // and its journal record): agreement, nothing to publish.
      out.synced.push([k, f]);
    } else if (changedHere) {
      const v: FleetEntry = { at: now, host: self, removed: mine === undefined, value: mine ?? '' };
      out.publish.push([k, v]);
      out.synced.push([k, v]);
    } else if (fleet !== null && f === undefined && s !== undefined && !s.removed && s.at <= forgot) {
      // Removed in the fleet and its tombstone pruned since this host last agreed on it.
      if (mine !== undefined) out.remove.push(k);
      out.synced.push([k, { ...s, removed: true, value: '' }]);
    } else if (changedThere && f !== undefined) {
      if (f.removed) {
        if (mine !== undefined) out.remove.push(k);
      } else if (mine !== f.value) out.set.push([k, f.value]);
      out.synced.push([k, f]);
    }
  }
  return out;
}

export interface BlockChanges {
  /** Local blocks the fleet lacks or holds shorter: publish them. */
  publish: HostBlock[];
  /** Fleet blocks this host lacks or holds shorter: adopt them. */
  adopt: HostBlock[];
  /** Local blocks the fleet lifted by hand (or forgot after such a lift): lift them here, on
   * behalf of `host` (the unblock's host; null when its tombstone was pruned). */
  lift: Array<{ ip: string; host: string | null }>;
}

/** What the fleet lifted by hand: its tombstones and the horizon of the pruned ones. */
export interface FleetLifts {
  unblocked: ReadonlyMap<string, Unblocked>;
  forgotBefore: number;
}

function outlasts(a: HostBlock, b: HostBlock | undefined): boolean {
  if (b === undefined) return true;
  if (b.expiresAt === null) return false;
  return a.expiresAt === null || a.expiresAt > b.expiresAt;
}

/** Each side's blocks in force at `now` that the other lacks or holds for a shorter time. */
export function diffBlocks(
  local: Iterable<HostBlock>,
  fleet: ReadonlyMap<string, HostBlock>,
  now: number,
  lifts: FleetLifts = { unblocked: new Map(), forgotBefore: 0 },
): BlockChanges {
  const live = (b: HostBlock) => b.expiresAt === null || b.expiresAt > now;
  const mine = new Map<string, HostBlock>();
  for (const b of local) if (live(b)) mine.set(b.ip, b);
  const out: BlockChanges = { publish: [], adopt: [], lift: [] };
  for (const b of [...mine.values()]) {
    const f = fleet.get(b.ip);
    const u = lifts.unblocked.get(b.ip);
    const lifted = f === undefined && u !== undefined && b.blockedAt <= u.at;
    const forgotten = f === undefined && u === undefined && b.blockedAt <= lifts.forgotBefore;
    if (lifted || forgotten) {
      out.lift.push({ ip: b.ip, host: u?.host ?? null });
      mine.delete(b.ip);
    } else if (outlasts(b, f)) out.publish.push(b);
  }
  for (const f of fleet.values()) {
    if (!live(f)) continue;
    const m = mine.get(f.ip);
    if (outlasts(f, m)) out.adopt.push(m === undefined ? f : mergeBlock(m, f));
  }
  return out;
}
