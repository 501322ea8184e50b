/**
 * What a peer's event does on this host (already re-validated by core/cluster/events.ts):
 * - block: adopted through the policy (ClusterHost.adopt), so the kernel, the store, the UI
 *   and the history see it like any decision, with the peer as its host; allow still wins.
 * - unblock: lifted through the policy, as `sipprot unblock` would.
 * - list, settings, recipient: each entry applies only when it is later than the version
 *   this host last agreed with (last writer wins, core/cluster/merge.ts); the version is
 *   agreed first, so applying it is never sent back to the fleet as a local change. A list's
 *   version reaches disk only once the change is in the list file (applyListVersions).
 * - attack: kept in this host's store for the fleet's reports.
 * - geoip: the table with that digest is fetched from Redis, checked and loaded.
 */
import type { ClusterEvent, ListEvent } from '../core/cluster/events.js';
import { type FleetEntry, later } from '../core/cluster/merge.js';
import type { ListEntry, ListName } from '../core/types.js';
import type { ClusterHost } from '../ports/cluster.js';
import type { Logger } from '../ports/logger.js';
import type { ClusterJournal, SyncedKind } from './journal.js';

export interface InboundDeps {
  host: ClusterHost;
  journal: ClusterJournal;
  log?: Logger;
}

/** The entries of an event that win over what this host agreed with, recorded as agreed. */
function winners(
  journal: ClusterJournal,
  kind: SyncedKind,
  entries: Array<[string, FleetEntry]>,
): Array<[string, FleetEntry]> {
  const synced = journal.synced(kind);
  const out = entries.filter(([k, v]) => {
    const s = synced.get(k);
    return s === undefined || later(v, s);
  });
  journal.setSynced(kind, out);
  return out;
}

/**
 * A setting this host refused keeps its own value, recorded under the fleet's version: this
 * host does not count it as a local change (it would send its old value back as the newest).
 * The refused version itself is recorded too: the same version is never tried again (no
 * guard call, no log line every 5 minutes at each resync); a newer one is judged afresh.
 */
export function keepRefused(
  journal: ClusterJournal,
  host: ClusterHost,
  refused: readonly string[],
  versions: ReadonlyArray<readonly [string, FleetEntry]>,
): void {
  if (refused.length === 0) return;
  const mine = host.settings();
  const keep = versions
    .filter(([k]) => refused.includes(k))
    .map(([k, v]) => [k, { ...v, value: mine.get(k) ?? '' }] as [string, FleetEntry]);
  journal.setSynced('settings', keep);
}

function sameVersion(a: FleetEntry | undefined, b: FleetEntry): boolean {
  return (
    a !== undefined && a.at === b.at && a.host === b.host && a.removed === b.removed && a.value === b.value
  );
}

/** Applies the fleet's setting versions this host accepts; the refused keep their value. */
export async function applySettings(
  journal: ClusterJournal,
  host: ClusterHost,
  versions: ReadonlyArray<readonly [string, FleetEntry]>,
  log?: Logger,
): Promise<number> {
  const known = journal.refused();
  const before = versions.filter(([k, v]) => sameVersion(known.get(k), v)).map(([k]) => k);
  const values = Object.fromEntries(
    versions.filter(([k]) => !before.includes(k)).map(([k, v]) => [k, v.value]),
  );
  const refused = Object.keys(values).length > 0 ? await host.refusedSettings(values) : [];
  // Before applying: the reload it causes compares the settings with these versions.
  keepRefused(journal, host, [...before, ...refused], versions);
  const now = versions.filter(([k]) => refused.includes(k));
  journal.setRefused(now);
  for (const [k, v] of now)
    log?.warn(
      { key: k, value: v.value, from: v.host, at: v.at },
      'cluster: refused the fleet’s setting here (kept this host’s value); this version is not tried again',
    );
  for (const k of refused) delete values[k];
  if (Object.keys(values).length > 0) await host.applySettings(values);
  return Object.keys(values).length;
}

/** True when `b` can be applied together with `a` (both blocks, or both changes of one list). */
export function sameRun(a: ClusterEvent, b: ClusterEvent): boolean {
  if (a.type === 'block') return b.type === 'block';
  return a.type === 'list' && b.type === 'list' && a.list === b.list;
}

/**
 * Consecutive changes of one list, applied as one: each entry's version is judged in order
 * (last writer wins, as one by one), and what won goes to the list in one write.
 */
export async function applyListRun(events: readonly ListEvent[], d: InboundDeps): Promise<void> {
  const name = events[0]!.list;
  const synced = d.journal.synced(name);
  const won = new Map<string, FleetEntry>();
  for (const e of events) {
    const removed = e.op === 'remove';
    for (const x of e.entries) {
      const v: FleetEntry = { at: e.at, host: e.host, removed, value: removed ? '' : x.note };
      const s = won.get(x.network) ?? synced.get(x.network);
      if (s === undefined || later(v, s)) won.set(x.network, v);
    }
  }
  const pending = await applyListVersions(d, name, won);
  pending?.commit();
}

/**
 * The fleet's versions of one list's entries, applied here: agreed in memory first (a local
 * change meanwhile is told apart from them), then the lists and the kernel, then the file.
 * The returned agreement is committed by the caller once nothing after it can fail (a kill -9
 * before that leaves the older versions on disk: the next start applies the change again
 * instead of publishing the entries' absence from the file as a removal). Entries this host
 * refused are agreed under the fleet's version with this host's own state, so they are never
 * sent back (a fleet entry that would lock this host's admin out stays the fleet's). A refused
 * deny entry is never offered again (its version ties and loses to the removal recorded); a
 * refused allow removal is judged again at each comparison (a removal wins that tie), and the
 * guard refuses it again.
 */
export async function applyListVersions(
  d: InboundDeps,
  name: ListName,
  versions: ReadonlyMap<string, FleetEntry>,
): Promise<{ commit(): void; undo(): void } | null> {
  if (versions.size === 0) return null;
  const set: ListEntry[] = [];
  const remove: string[] = [];
  for (const [network, v] of versions) {
    if (v.removed) remove.push(network);
    else set.push({ network, note: v.value });
  }
  const pending = d.journal.agree(name, [...versions]);
  let refused: Array<[string, FleetEntry]>;
  try {
    const r = await d.host.applyList(name, set, remove);
    refused = r.refused.flatMap(([network, kept]) => {
      const v = versions.get(network);
      return v
        ? [[network, { ...v, removed: kept === null, value: kept ?? '' }] as [string, FleetEntry]]
        : [];
    });
  } catch (e) {
    pending.undo();
    throw e;
  }
  return { commit: () => pending.commit(refused), undo: () => pending.undo() };
}

export async function applyRemote(e: ClusterEvent, d: InboundDeps): Promise<void> {
  const { host, journal, log } = d;
  const version = (removed: boolean, value: string): FleetEntry => ({
    at: e.at,
    host: e.host,
    removed,
    value,
  });
  switch (e.type) {
    case 'block':
      host.adopt([e.block]);
      return;
    case 'unblock':
      host.unblock(e.ip, e.forgetHistory, e.host);
      return;
    case 'list':
      await applyListRun([e], d);
      return;
    case 'settings': {
      const won = winners(
        journal,
        'settings',
        Object.entries(e.values).map(([k, v]) => [k, version(false, v)]),
      );
      if (won.length > 0) await applySettings(journal, host, won, log);
      return;
    }
    case 'recipient': {
      const won = winners(journal, 'recipients', [[e.email.toLowerCase(), version(e.removed, e.name ?? '')]]);
      if (won.length === 0) return;
      if (e.removed) await host.applyRecipients([], [e.email.toLowerCase()]);
      else await host.applyRecipients([[e.email.toLowerCase(), e.name ?? '']], []);
      return;
    }
    case 'attack':
      await host.recordAttacks(e.attacks);
      return;
    case 'geoip':
      if ((await host.geoDigest()) !== e.sha256) await host.applyGeo(e.sha256);
      return;
  }
}
