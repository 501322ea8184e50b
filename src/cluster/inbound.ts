/**
 * What a peer's event does on this host (already re-validated by core/cluster/events.ts):
 * - block: adopted through the policy (ClusterHost.adopt), so the kernel, the store, the UI
 *   and the history see it like any decision, with the peer as its host; allow still wins.
 * - unblock: lifted through the policy, as `sipprot unblock` would.
 * - list, settings, recipient: each entry applies only when it is later than the version
 *   this host last agreed with (last writer wins, core/cluster/merge.ts); the version is
 *   recorded first, so applying it is never sent back to the fleet as a local change.
 * - attack: kept in this host's store for the fleet's reports.
 * - geoip: the table with that digest is fetched from Redis, checked and loaded.
 */
import type { ClusterEvent, ListEvent } from '../core/cluster/events.js';
import { type FleetEntry, later } from '../core/cluster/merge.js';
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
  const { host, journal } = d;
  const last = new Map<string, string | null>();
  for (const e of events) {
    const removed = e.op === 'remove';
    const won = winners(
      journal,
      e.list,
      e.entries.map((x) => [x.network, { at: e.at, host: e.host, removed, value: removed ? '' : x.note }]),
    );
    for (const [k, v] of won) last.set(k, removed ? null : v.value);
  }
  if (last.size === 0) return;
  const set: Array<{ network: string; note: string }> = [];
  const remove: string[] = [];
  for (const [network, note] of last) {
    if (note === null) remove.push(network);
    else set.push({ network, note });
  }
  await host.applyList(events[0]!.list, set, remove);
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
    case 'list': {
      const removed = e.op === 'remove';
      const won = winners(
        journal,
        e.list,
        e.entries.map((x) => [x.network, version(removed, removed ? '' : x.note)]),
      );
      if (won.length === 0) return;
      if (removed)
        await host.applyList(
          e.list,
          [],
          won.map(([k]) => k),
        );
      else
        await host.applyList(
          e.list,
          won.map(([k, v]) => ({ network: k, note: v.value })),
          [],
        );
      return;
    }
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
