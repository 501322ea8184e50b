/**
 * Reading the fleet's snapshot out of the Redis hashes (layout: redis-bus.ts, written by the
 * Lua scripts of redis-scripts.ts). Everything read is untrusted (another host may be
 * compromised, Redis may hold garbage): every record, address, host id and setting key is
 * validated again, and what fails is counted as rejected, never thrown and never applied.
 */
import { decodeBlock, decodeHost, decodeListNetwork, decodeNetwork } from '../core/cluster/events.js';
import { emptyFleet, type FleetEntry, type FleetState } from '../core/cluster/merge.js';
import { isFleetWide } from '../core/config/scope.js';
import { cleanNote } from '../core/lists/lists.js';
import type { Snapshot } from '../ports/cluster.js';

/** The unblock tombstones (`at|host`) and the prune horizon into the fleet; returns how many were malformed. */
export function readLifts(
  fleet: FleetState,
  unblocked: Record<string, string>,
  forgot: string | null,
): number {
  let rejected = 0;
  for (const [ip, s] of Object.entries(unblocked)) {
    const m = /^([^|]*)\|(.*)$/.exec(s);
    const at = m ? Number(m[1]) : Number.NaN;
    const host = m ? decodeHost(m[2]) : null;
    if (!Number.isFinite(at) || host === null || decodeNetwork(ip) !== ip) rejected++;
    else fleet.unblocked.set(ip, { at, host });
  }
  const f = Number(forgot ?? '0');
  fleet.forgotBefore = Number.isFinite(f) && f > 0 ? f : 0;
  return rejected;
}

/** The last host id checked (a list's 100k entries come from a handful of hosts). */
let lastHost: { raw: string; host: string | null } = { raw: '', host: null };

function hostOf(raw: string): string | null {
  if (raw !== lastHost.raw) lastHost = { raw, host: decodeHost(raw) };
  return lastHost.host;
}

/** `at|host|removed|value` → an entry, or null when malformed. */
function entryOf(s: string): FleetEntry | null {
  const m = /^([^|]*)\|([^|]*)\|([01])\|([\s\S]*)$/.exec(s);
  if (!m) return null;
  const at = Number(m[1]);
  const host = hostOf(m[2]!);
  if (!Number.isFinite(at) || host === null) return null;
  return { at, host, removed: m[3] === '1', value: m[4]! };
}

export function readSnapshot(
  blocks: Record<string, string>,
  blockx: Record<string, string>,
  esc: Record<string, string>,
  /** The allow and deny hashes as Redis sends them: field, value, field, value… */
  lists: [readonly string[], readonly string[]],
  settings: Record<string, string>,
  recipients: Record<string, string>,
  geoip: Record<string, string>,
  covers: string,
): Snapshot {
  const fleet: FleetState = emptyFleet();
  let rejected = 0;
  for (const [ip, json] of Object.entries(blocks)) {
    const x = /^([^|]*)\|([^|]*)\|([^|]*)\|([^|]*)\|([^|]*)\|([^|]*)$/.exec(blockx[ip] ?? '');
    let base: unknown = null;
    try {
      base = JSON.parse(json);
    } catch {
      // rejected below
    }
    const host = x ? decodeHost(x[2]) : null;
    const rec =
      x && host && base
        ? decodeBlock(
            {
              ...(base as object),
              expiresAt: x[3] === 'P' ? null : Number(x[3]),
              lastSeen: Number(x[4]),
              attempts: Number(x[5]),
              timesBlocked: Number(x[6]),
              host,
            },
            host,
          )
        : null;
    if (rec === null || rec.ip !== ip) rejected++;
    else fleet.blocks.set(ip, rec);
  }
  for (const [ip, n] of Object.entries(esc)) {
    const c = Number(n);
    if (Number.isInteger(c) && c > 0 && decodeNetwork(ip) === ip) fleet.escalation.set(ip, c);
  }
  (['allow', 'deny'] as const).forEach((name, i) => {
    const raw = lists[i]!;
    for (let j = 0; j + 1 < raw.length; j += 2) {
      const net = raw[j]!;
      const e = entryOf(raw[j + 1]!);
      if (e === null || decodeListNetwork(net) !== net) rejected++;
      // A note as the list file writes it (one line, bounded), as an event's is.
      else fleet.lists[name].set(net, e.removed ? e : { ...e, value: cleanNote(e.value) });
    }
  });
  for (const [k, s] of Object.entries(settings)) {
    const e = entryOf(s);
    if (e === null || !isFleetWide(k)) rejected++;
    else fleet.settings.set(k, e);
  }
  for (const [email, s] of Object.entries(recipients)) {
    const e = entryOf(s);
    if (e === null) rejected++;
    else fleet.recipients.set(email, { ...e, email });
  }
  const g = geoip.table ? entryOf(geoip.table) : null;
  const gm = g ? /^([0-9a-f]{64}):([0-9]+)$/.exec(g.value) : null;
  if (g && gm) fleet.geoip = { sha256: gm[1]!, bytes: Number(gm[2]), at: g.at, host: g.host };
  return { covers, fleet, rejected };
}
