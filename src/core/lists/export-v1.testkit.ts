/**
 * Test support: the blocklist export's computation as it was before issue 13 made it parse
 * each network once (export.ts at 54d508a, verbatim but for the imports and this header).
 * export-equivalence.test.ts holds the new exportBlocks to this one's output, byte for
 * byte in every format, on many seeded lists. Not production code; never edit to match.
 */
import { aggregate, rangeOf, subtractor } from '../net/aggregate-v1.testkit.js';
import { type Network, parseNetwork } from '../net/ip.js';
import {
  type BlockExport,
  type BlockSource,
  EXPORT_ORIGINS,
  type ExportedBlock,
  type ExportOptions,
} from './export.js';

interface Parsed {
  src: BlockSource;
  net: Network;
}

/** The current blocks as the export shows them; unparsable sources are skipped. */
export function exportBlocksV1(
  sources: readonly BlockSource[],
  allow: readonly string[],
  o: ExportOptions,
): BlockExport {
  const include = EXPORT_ORIGINS.filter((x) => o.include.includes(x));
  const parsed: Parsed[] = [];
  for (const src of sources) {
    if (!include.includes(src.origin)) continue;
    if (src.expiresAt !== null && src.expiresAt <= o.now) continue;
    const net = parseNetwork(src.network);
    if (net) parsed.push({ src, net });
  }
  const allowed = allow.flatMap((a) => parseNetwork(a) ?? []);
  const minus = subtractor(allowed);
  let cut = 0;
  const kept: Array<{ net: Network; src: BlockSource }> = [];
  for (const p of parsed) {
    const parts = minus(p.net);
    if (parts.length !== 1 || parts[0] !== p.net) cut++;
    for (const net of parts) kept.push({ net, src: p.src });
  }
  const blocks = o.aggregate ? aggregated(kept, allowed) : separate(kept);
  return { generatedAt: o.now, include, aggregated: o.aggregate, blocks, cut };
}

/** One line per network (sources for the same network merged), in address order. */
function separate(kept: Array<{ net: Network; src: BlockSource }>): ExportedBlock[] {
  const byNet = new Map<string, ExportedBlock>();
  for (const { net, src } of kept) {
    const e = byNet.get(net.text);
    if (e) merge(e, src);
    else byNet.set(net.text, blockOf(net, src));
  }
  const order = new Map([...byNet.values()].map((b) => [b, sortKey(parseNetwork(b.network)!)]));
  return [...byNet.values()].sort((a, b) => compareKeys(order.get(a)!, order.get(b)!));
}

/** The fewest prefixes, each with the facts of the sources inside it. */
function aggregated(kept: Array<{ net: Network; src: BlockSource }>, allowed: Network[]): ExportedBlock[] {
  const nets = aggregate(
    kept.map((k) => k.net),
    allowed,
  );
  const out: ExportedBlock[] = nets.map((n) => ({
    network: n.text,
    family: n.family,
    origins: [],
    reason: null,
    expiresAt: 0,
    note: null,
  }));
  const ranges = nets.map((n) => ({ family: n.family, ...rangeOf(n) }));
  for (const { net, src } of kept) {
    const r = rangeOf(net);
    // Outputs are disjoint and sorted (IPv4 first): binary search the first that may overlap.
    let lo = 0;
    let hi = ranges.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const m = ranges[mid]!;
      if (m.family < net.family || (m.family === net.family && m.end < r.start)) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < ranges.length; i++) {
      const m = ranges[i]!;
      if (m.family !== net.family || m.start > r.end) break;
      merge(out[i]!, src);
    }
  }
  return out;
}

function blockOf(net: Network, src: BlockSource): ExportedBlock {
  return {
    network: net.text,
    family: net.family,
    origins: [src.origin],
    reason: src.reason,
    expiresAt: src.expiresAt,
    note: src.note,
  };
}

/** Adds a source's facts: every origin, the first reason and note, the latest expiry. */
function merge(e: ExportedBlock, src: BlockSource): void {
  if (!e.origins.includes(src.origin)) {
    e.origins.push(src.origin);
    e.origins.sort((a, b) => EXPORT_ORIGINS.indexOf(a) - EXPORT_ORIGINS.indexOf(b));
  }
  e.reason ??= src.reason;
  e.note ??= src.note;
  if (e.expiresAt !== null)
    e.expiresAt = src.expiresAt === null ? null : Math.max(e.expiresAt, src.expiresAt);
}

function sortKey(n: Network): [number, bigint, number] {
  return [n.family, rangeOf(n).start, n.prefix];
}

function compareKeys(a: [number, bigint, number], b: [number, bigint, number]): number {
  if (a[0] !== b[0]) return a[0] - b[0];
  if (a[1] !== b[1]) return a[1] < b[1] ? -1 : 1;
  return a[2] - b[2];
}
