/**
 * The dynamic blocks of a whole desired state as the kernel takes them: per family, the
 * addresses side by side (4 or 16 bytes, network order) and each one's timeout in ms
 * (0: none). A start restores 100k-1M of them (issue 13 target 5): the way it was, each
 * block became a Host with its own Uint8Array, a Map entry keyed by its text, then a
 * packed copy (~2 µs a block here, most of it allocation and GC). A canonical dotted quad
 * now goes from its text to its number and into the buffer; everything else (IPv6, other
 * spellings, whole networks) goes the careful way (parseHost, parsePrefixBlock), so what
 * is refused and what the kernel gets stay the same: a repeated address keeps its last
 * entry, one with no time left drops what came before it (state.ts packDynamic).
 */
import { type Family, formatAddress } from '../core/net/ip.js';
import type { PackedHosts } from '../ports/firewall.js';

export type { PackedHosts };

export type PackedDynamic = Record<Family, PackedHosts>;

/** No address (a family without blocks); shared: nothing writes into an empty pack. */
export const NO_HOSTS: PackedHosts = { keys: new Uint8Array(0), timeoutsMs: new Float64Array(0) };

export function packV4(m: Map<number, number>): PackedHosts {
  const keys = new Uint8Array(m.size * 4);
  const view = new DataView(keys.buffer);
  const timeoutsMs = new Float64Array(m.size);
  let i = 0;
  for (const [k, ms] of m) {
    view.setUint32(i * 4, k);
    timeoutsMs[i++] = ms;
  }
  return { keys, timeoutsMs };
}

export function packV6(m: Map<string, { bytes: Uint8Array; ms: number }>): PackedHosts {
  const keys = new Uint8Array(m.size * 16);
  const timeoutsMs = new Float64Array(m.size);
  let i = 0;
  for (const { bytes, ms } of m.values()) {
    keys.set(bytes, i * 16);
    timeoutsMs[i++] = ms;
  }
  return { keys, timeoutsMs };
}

/** Packs of one family as one, in order (a start's chunks; two packs: concatHosts). */
export function joinHosts(parts: readonly PackedHosts[]): PackedHosts {
  const full = parts.filter((p) => p.timeoutsMs.length > 0);
  if (full.length === 1) return full[0]!;
  let keyBytes = 0;
  let count = 0;
  for (const p of full) {
    keyBytes += p.keys.length;
    count += p.timeoutsMs.length;
  }
  const keys = new Uint8Array(keyBytes);
  const timeoutsMs = new Float64Array(count);
  let k = 0;
  let t = 0;
  for (const p of full) {
    keys.set(p.keys, k);
    timeoutsMs.set(p.timeoutsMs, t);
    k += p.keys.length;
    t += p.timeoutsMs.length;
  }
  return { keys, timeoutsMs };
}

/** Two packs of one family as one: `a`'s addresses, then `b`'s. */
export function concatHosts(a: PackedHosts, b: PackedHosts): PackedHosts {
  return joinHosts([a, b]);
}

/** How many addresses `p` holds. */
export function hostCount(p: PackedHosts): number {
  return p.timeoutsMs.length;
}

/** Each packed address as canonical text, with its timeout (null: none), in order. */
export function unpackHosts(
  family: Family,
  p: PackedHosts,
): Array<{ text: string; timeoutMs: number | null }> {
  const size = family === 4 ? 4 : 16;
  const out: Array<{ text: string; timeoutMs: number | null }> = [];
  for (let i = 0; i < p.timeoutsMs.length; i++) {
    const bytes = p.keys.subarray(i * size, (i + 1) * size);
    out.push({ text: formatAddress({ bytes }), timeoutMs: p.timeoutsMs[i]! > 0 ? p.timeoutsMs[i]! : null });
  }
  return out;
}
