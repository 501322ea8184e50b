/**
 * Anti-entropy with the fleet's snapshot (core/cluster/diff.ts does the comparing): blocks
 * the fleet lacks are re-sent (as renewals: they do not count again toward the threshold),
 * blocks this host lacks are adopted through the policy, blocks the fleet lifted by hand
 * while this host was away are lifted here (never sent back); the fleet's escalation counts raise
 * this host's; list entries, settings and recipients go whichever way changed last. Settings
 * are fleet-first: a joining host with defaults takes the fleet's values instead of pushing
 * its own (the first host of a fleet seeds them).
 */
import { diffBlocks, reconcileEntries } from '../core/cluster/diff.js';
import type { EventBody } from '../core/cluster/events.js';
import type { FleetEntry } from '../core/cluster/merge.js';
import type { ClusterHost, Snapshot } from '../ports/cluster.js';
import type { Logger } from '../ports/logger.js';
import { applyListVersions, applySettings } from './inbound.js';
import type { ClusterJournal, SyncedKind } from './journal.js';
import { type Outbound, split } from './outbound.js';

export interface AntiEntropyDeps {
  self: string;
  host: ClusterHost;
  journal: ClusterJournal;
  out: Outbound;
  snap: Snapshot;
  now: number;
  log?: Logger;
}

export interface AntiEntropyResult {
  sent: number;
  adopted: number;
  lifted: number;
  applied: number;
  /** Milliseconds per step (the log line of a resync shows where a slow join spent its time). */
  steps: Record<string, number>;
}

export async function antiEntropy(d: AntiEntropyDeps): Promise<AntiEntropyResult> {
  const { host, snap, now, out, self } = d;
  const fleet = snap.fleet;
  const steps: Record<string, number> = {};
  let t = performance.now();
  const lap = (name: string) => {
    const n = performance.now();
    steps[name] = Math.round(n - t);
    t = n;
  };
  const blocks = diffBlocks(host.blocks(), fleet.blocks, now, fleet);
  for (const x of blocks.lift) host.unblock(x.ip, false, x.host ?? self);
  const bodies: EventBody[] = blocks.publish.map((b) => ({
    type: 'block',
    action: 'extend',
    block: { ...b, host: b.host ?? self },
  }));
  if (blocks.adopt.length > 0) host.adopt(blocks.adopt);
  for (const [ip, n] of fleet.escalation) host.raiseEscalation(ip, n);
  lap('blocks');
  let applied = 0;
  // Each list's versions are agreed in memory and applied now, and written to the journal
  // only at the end, after the events they publish are in the outbox (applyListVersions).
  const agreed: Array<{ commit(): void; undo(): void }> = [];
  try {
    for (const name of ['allow', 'deny'] as const) {
      const local = new Map(host.listEntries(name).map((e) => [e.network, e.note] as const));
      const r = reconcileEntries(local, d.journal.synced(name), fleet.lists[name], d.now, self, {
        forgotBefore: fleet.forgotBefore,
      });
      // What changes here (set, remove) is applied; the rest (published, or forgotten by both
      // sides) is only agreed on.
      const here = new Set<string>(r.remove);
      for (const [k] of r.set) here.add(k);
      const apply = new Map(r.synced.filter(([k]) => here.has(k)));
      agreed.push(
        d.journal.agree(
          name,
          r.synced.filter(([k]) => !here.has(k)),
        ),
      );
      const changes = await applyListVersions(d, name, apply);
      if (changes) agreed.push(changes);
      applied += r.set.length + r.remove.length;
      const [adds, removes] = split(r.publish);
      if (adds.length > 0) bodies.push({ type: 'list', list: name, op: 'add', entries: adds });
      if (removes.length > 0) bodies.push({ type: 'list', list: name, op: 'remove', entries: removes });
      lap(name);
    }
  } catch (e) {
    for (const a of agreed) a.undo();
    throw e;
  }
  const settings = entries(d, 'settings', host.settings(), fleet.settings, true);
  if (settings.set.length > 0) {
    const won = settings.synced.filter(([k]) => settings.set.some(([s]) => s === k));
    applied += await applySettings(d.journal, host, won, d.log);
  }
  if (settings.publish.length > 0)
    bodies.push({
      type: 'settings',
      values: Object.fromEntries(settings.publish.map(([k, v]) => [k, v.value])),
    });
  const recipients = entries(d, 'recipients', await host.recipients(), fleet.recipients);
  if (recipients.set.length + recipients.remove.length > 0) {
    await host.applyRecipients(recipients.set, recipients.remove);
    applied += recipients.set.length + recipients.remove.length;
  }
  for (const [email, v] of recipients.publish)
    bodies.push({ type: 'recipient', email, name: v.removed ? null : v.value || null, removed: v.removed });
  lap('settings+recipients');
  // Geo-IP: the fleet's newest table (last writer wins), or ours when the fleet has none.
  const geo = fleet.geoip;
  const mine = await host.geoDigest();
  if (geo !== null && geo.sha256 !== mine) await host.applyGeo(geo.sha256).catch(() => undefined);
  else if (geo === null && mine !== null) await host.publishGeo().catch(() => undefined);
  // Large lists go out in events of at most MAX_BATCH entries (Outbound.send does not split).
  lap('geoip');
  // The fleet forgot its older tombstones: so does this host's record of what it agreed on.
  d.journal.pruneSynced(fleet.forgotBefore);
  out.send(bodies.flatMap(splitLarge), now);
  for (const a of agreed) a.commit();
  return { sent: bodies.length, adopted: blocks.adopt.length, lifted: blocks.lift.length, applied, steps };
}

function entries(
  d: AntiEntropyDeps,
  kind: SyncedKind,
  local: ReadonlyMap<string, string>,
  fleet: ReadonlyMap<string, FleetEntry>,
  fleetFirst = false,
) {
  const r = reconcileEntries(local, d.journal.synced(kind), fleet, d.now, d.self, {
    fleetFirst,
    forgotBefore: d.snap.fleet.forgotBefore,
  });
  d.journal.setSynced(kind, r.synced);
  return r;
}

function splitLarge(b: EventBody): EventBody[] {
  if (b.type !== 'list' || b.entries.length <= 10_000) return [b];
  const out: EventBody[] = [];
  for (let i = 0; i < b.entries.length; i += 10_000)
    out.push({ ...b, entries: b.entries.slice(i, i + 10_000) });
  return out;
}
