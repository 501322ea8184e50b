/**
 * What a change of BLOCKED_COUNTRIES would cut off beyond the protected addresses the
 * lock-out guard refuses for (issue 10 item 6): the host's own LANs and the neighbours of
 * allow entries (an office allowed as 203.0.113.5 keeps its other phones in
 * 203.0.113.0/24). These are warnings, said by every interface that changes countries:
 * the settings answer (UI, API, socket), `sipprotd reload`, the log at start and reload.
 */
import { parseNetwork } from '../core/net/ip.js';
import type { ListEntry } from '../core/types.js';

/** Neighbours of a single allowed address: its IPv4 /24, its IPv6 /64. */
const NEIGHBOURHOOD = { 4: 24, 6: 64 } as const;
const MAX_WARNINGS = 8;

export interface CountryReviewInput {
  /** Countries the change newly blocks. */
  added: readonly string[];
  lans: ReadonlyArray<{ network: string; iface: string }>;
  allow: readonly ListEntry[];
  geo: { countriesIn?(network: string): string[] } | null;
}

function neighbourhood(network: string): string | null {
  const n = parseNetwork(network);
  if (!n) return null;
  const p = NEIGHBOURHOOD[n.family];
  if (n.prefix <= p) return null; // the entry covers its neighbourhood itself
  const bytes = n.bytes.slice();
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, p - i * 8));
    bytes[i] = bytes[i]! & ((0xff << (8 - keep)) & 0xff);
  }
  return parseNetwork(`${n.family === 4 ? [...bytes].join('.') : v6(bytes)}/${p}`)?.text ?? null;
}

function v6(bytes: Uint8Array): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return groups.join(':');
}

/** One sentence per LAN or allow entry that the newly blocked countries would partly drop. */
export function countryWarnings(i: CountryReviewInput): string[] {
  if (i.added.length === 0 || !i.geo?.countriesIn) return [];
  const inAdded = (net: string) => i.geo!.countriesIn!(net).filter((c) => i.added.includes(c));
  const out: string[] = [];
  for (const lan of i.lans) {
    const hit = inAdded(lan.network);
    if (hit.length > 0) {
      out.push(
        `this host's network ${lan.network} (${lan.iface}) has addresses in ${hit.join(', ')}: they would be blocked`,
      );
    }
  }
  let more = 0;
  for (const e of i.allow) {
    const around = neighbourhood(e.network);
    if (!around) continue;
    const hit = inAdded(around);
    if (hit.length === 0) continue;
    if (out.length >= MAX_WARNINGS) more++;
    else
      out.push(
        `allow entry ${e.network} stays open, but its neighbours in ${around} (${hit.join(', ')}) would be blocked`,
      );
  }
  if (more > 0) out.push(`and ${more} more allow entries whose neighbours would be blocked`);
  return out;
}
