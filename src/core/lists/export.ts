/**
 * The blocklist export (issue 15 item 7): what sipprot blocks now, for an SBC, a router or
 * another firewall to enforce the same list. Pure: the caller hands in the blocks, the
 * deny list and the allow list as they are, and the time.
 *
 * - Allow beats everything: every allowed address is cut out of what is exported, so a
 *   deny 192.168.50.0/24 with allow 192.168.50.15 exports the /24 minus .15, never the
 *   /24 (core/net/aggregate.ts). `cut` counts the entries that lost addresses.
 * - Without aggregation each network keeps its own line and facts (origin, reason,
 *   expiry); one network from several sources is one line with every origin.
 * - With aggregation the fewest prefixes cover the union; each carries the origins of
 *   what it covers and the latest expiry (null = permanent when any part is).
 * - Only canonical networks and numbers reach the nft/ipset/text outputs; reasons and
 *   notes (which may hold attacker text) appear in CSV (formula-guarded) and JSON only.
 * Renderers: export-render.ts. `exportFrom` reads the same three sources for the HTTP route
 * and `sipprot export-blocks` (both hand in their Admin port), so the two cannot drift.
 */
import { aggregate, rangeOf, subtractor } from '../net/aggregate.js';
import { type Network, parseNetwork } from '../net/ip.js';
import type { BlockRecord, ListEntry } from '../types.js';

/** Where a blocked network comes from: dynamic blocks, the deny list, shared feeds (issue 15 item 5). */
export const EXPORT_ORIGINS = ['dynamic', 'deny', 'feeds'] as const;
export type ExportOrigin = (typeof EXPORT_ORIGINS)[number];

/** The default `--include`: what this host decided and what its admin denied. */
export const DEFAULT_INCLUDE: readonly ExportOrigin[] = ['dynamic', 'deny'];

export interface BlockSource {
  network: string;
  origin: ExportOrigin;
  /** The rule (dynamic), null for list entries. */
  reason: string | null;
  /** Epoch seconds; null = permanent (deny list, threshold-permanent blocks). */
  expiresAt: number | null;
  note: string | null;
}

export interface ExportOptions {
  include: readonly ExportOrigin[];
  aggregate: boolean;
  /** Epoch seconds: blocks that ended by now are left out. */
  now: number;
}

export interface ExportedBlock {
  network: string;
  family: 4 | 6;
  origins: ExportOrigin[];
  reason: string | null;
  expiresAt: number | null;
  note: string | null;
}

export interface BlockExport {
  generatedAt: number;
  include: ExportOrigin[];
  aggregated: boolean;
  blocks: ExportedBlock[];
  /** Blocked entries that lost addresses to the allow list (dropped whole or split). */
  cut: number;
}

/** What an export reads: three of the Admin port's readers (core names them, the caller passes its port). */
export interface ExportReader {
  dynamicBlocks(): Promise<ReadonlyArray<Pick<BlockRecord, 'ip' | 'reason' | 'expiresAt' | 'note'>>>;
  listEntries(name: 'allow' | 'deny'): Promise<readonly ListEntry[]>;
  feedEntries(): Promise<ReadonlyArray<{ feed: string; network: string; expiresAt: number }>>;
}

/** The current blocks read from `from` (feeds only when included) and exported; allow wins. */
export async function exportFrom(from: ExportReader, o: ExportOptions): Promise<BlockExport> {
  const [dynamic, deny, allow, feeds] = await Promise.all([
    from.dynamicBlocks(),
    from.listEntries('deny'),
    from.listEntries('allow'),
    o.include.includes('feeds') ? from.feedEntries() : [],
  ]);
  return exportBlocks(
    blockSources(dynamic, deny, feeds),
    allow.map((e) => e.network),
    o,
  );
}

interface Parsed {
  src: BlockSource;
  net: Network;
}

/** The current blocks as the export shows them; unparsable sources are skipped. */
export function exportBlocks(
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

/** `dynamic,deny` → the origins, or the reason the list is wrong (CLI and API). */
export function parseInclude(text: string): ExportOrigin[] | string {
  const items = text
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== '');
  if (items.length === 0) return `must name at least one of ${EXPORT_ORIGINS.join(', ')}`;
  const out: ExportOrigin[] = [];
  for (const item of items) {
    const origin = EXPORT_ORIGINS.find((x) => x === item || `${x}s` === item || x === `${item}s`);
    if (!origin) return `'${item}' is not one of ${EXPORT_ORIGINS.join(', ')}`;
    if (!out.includes(origin)) out.push(origin);
  }
  return out;
}

/** The sources as the admin views hold them: dynamic blocks (the store's) and the deny list. */
export function blockSources(
  dynamic: ReadonlyArray<Pick<BlockRecord, 'ip' | 'reason' | 'expiresAt' | 'note'>>,
  deny: readonly ListEntry[],
  /** Shared blocklists' live entries (core/feeds): their feed is the note. */
  feeds: ReadonlyArray<{ feed: string; network: string; expiresAt: number }> = [],
): BlockSource[] {
  return [
    ...dynamic.map((b) => ({
      network: b.ip,
      origin: 'dynamic' as const,
      reason: b.reason,
      expiresAt: b.expiresAt,
      note: b.note,
    })),
    ...deny.map((e) => ({
      network: e.network,
      origin: 'deny' as const,
      reason: null,
      expiresAt: null,
      note: e.note === '' ? null : e.note,
    })),
    ...feeds.map((f) => ({
      network: f.network,
      origin: 'feeds' as const,
      reason: null,
      expiresAt: f.expiresAt,
      note: `feed ${f.feed}`,
    })),
  ];
}
