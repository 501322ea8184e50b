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
 *
 * Cost: routers poll this, and a flood leaves 100k–1M blocks. Each network is parsed once
 * and sorted on its bytes (radix); 1M dynamic blocks took 4–15 s at load 7–12, the
 * previous code (a second parse, bigint sort keys) 26–82 s; the same bytes out
 * (export-equivalence.test.ts, bench/RESULTS.md "Big lists"). Aggregated, IPv4 is merged
 * on plain numbers since (aggregate.ts): 1M blocks 10.1 s → 6.9 s at load 3–5 ("Aggregated
 * export"), the rest being allocation.
 */
import { aggregate, rangeOf, subtractor } from '../net/aggregate.js';
import { canonicalV4Number, type Network, parseNetwork } from '../net/ip.js';
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

/** The current blocks as the export shows them; unparsable sources are skipped. */
export function exportBlocks(
  sources: readonly BlockSource[],
  allow: readonly string[],
  o: ExportOptions,
): BlockExport {
  const include = EXPORT_ORIGINS.filter((x) => o.include.includes(x));
  const allowed = allow.flatMap((a) => parseNetwork(a) ?? []);
  const minus = subtractor(allowed);
  let cut = 0;
  // One pass, one parse per source: each network is parsed here and nowhere after.
  const kept: Array<{ net: Network; src: BlockSource }> = [];
  for (const src of sources) {
    if (!include.includes(src.origin)) continue;
    if (src.expiresAt !== null && src.expiresAt <= o.now) continue;
    const net = networkOf(src.network);
    if (!net) continue;
    const parts = minus(net);
    if (parts.length !== 1 || parts[0] !== net) cut++;
    for (const part of parts) kept.push({ net: part, src });
  }
  const blocks = o.aggregate ? aggregated(kept, allowed) : separate(kept);
  return { generatedAt: o.now, include, aggregated: o.aggregate, blocks, cut };
}

/**
 * One line per network (sources for the same network merged), in address order: IPv4
 * first, then by first address, the wider prefix first. Sorted on the networks parsed once
 * above, never their text again: a second parse and a bigint key to sort were ~4.4 µs an
 * entry, ~4.4 s for 1M dynamic blocks on every poll. The sort is stable, so the sources
 * of one network meet side by side in the order they came, and merging neighbours gives
 * what merging in arrival order gave.
 */
function separate(kept: Array<{ net: Network; src: BlockSource }>): ExportedBlock[] {
  const out: ExportedBlock[] = [];
  for (const family of [4, 6] as const) {
    const rows = kept.filter((k) => k.net.family === family);
    let last: Network | undefined;
    for (const i of addressOrder(rows.map((r) => r.net))) {
      const { net, src } = rows[i]!;
      if (last?.text === net.text) merge(out[out.length - 1]!, src);
      else out.push(blockOf(net, src));
      last = net;
    }
  }
  return out;
}

/**
 * The indices of `nets` (one family) in address order, then prefix order: a stable
 * least-significant-digit radix sort on the bytes, the prefix being the least significant
 * digit. Bytes are in network order with the host bits zero, so this is the numeric
 * order of the first addresses. Linear: 5 passes for IPv4, 17 for IPv6, a pass skipped
 * when every entry has the same digit (all /32 hosts, one 2001:db8::/32). A comparison sort
 * of 1M rows was ~20M comparator calls (seconds on a loaded 2-core machine).
 */
function addressOrder(nets: readonly Network[]): Uint32Array {
  const n = nets.length;
  const width = nets[0]?.bytes.length ?? 0;
  const stride = width + 1;
  const digits = new Uint8Array(n * stride);
  for (let i = 0; i < n; i++) {
    digits.set(nets[i]!.bytes, i * stride);
    digits[i * stride + width] = nets[i]!.prefix;
  }
  let order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  let next = new Uint32Array(n);
  const count = new Uint32Array(257);
  for (let d = width; d >= 0; d--) {
    count.fill(0);
    for (let k = 0; k < n; k++) count[digits[order[k]! * stride + d]! + 1]!++;
    if (count.includes(n)) continue;
    for (let v = 0; v < 256; v++) count[v + 1]! += count[v]!;
    for (let k = 0; k < n; k++) {
      const i = order[k]!;
      next[count[digits[i * stride + d]!]!++] = i;
    }
    [order, next] = [next, order];
  }
  return order;
}

/**
 * The fewest prefixes, each with the facts of the sources inside it. Which prefix a source
 * falls in is found in one sweep over the sources in address order (both sorted: a pointer
 * that only moves on), not a binary search of bigints per source (~40 compares each: most
 * of an aggregated export of 1M blocks); the facts are then merged in arrival order, as
 * before, so the first reason and note stay the same.
 */
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
  // Bounds in flat arrays (numbers for IPv4, bigints for IPv6), not an object per range.
  const m = nets.length;
  const family = new Uint8Array(m);
  const starts: Array<number | bigint> = new Array(m);
  const ends: Array<number | bigint> = new Array(m);
  for (let i = 0; i < m; i++) {
    const r = rangeOf(nets[i]!);
    family[i] = nets[i]!.family;
    starts[i] = r.start;
    ends[i] = r.end;
  }
  const ranges = { family, starts, ends };
  const first = firstRanges(kept, ranges);
  for (let k = 0; k < kept.length; k++) {
    const { net, src } = kept[k]!;
    const end = rangeOf(net).end;
    for (let i = first[k]!; i < m; i++) {
      if (family[i] !== net.family || starts[i]! > end) break;
      merge(out[i]!, src);
    }
  }
  return out;
}

/**
 * For each source, the first of `ranges` (disjoint, sorted, IPv4 first) that does not end
 * before the source starts: sources visited in address order, one pointer per family.
 */
function firstRanges(
  kept: ReadonlyArray<{ net: Network }>,
  ranges: {
    family: Uint8Array;
    starts: ReadonlyArray<number | bigint>;
    ends: ReadonlyArray<number | bigint>;
  },
): Uint32Array {
  const first = new Uint32Array(kept.length);
  const m = ranges.family.length;
  let i = 0;
  for (const family of [4, 6] as const) {
    const at: number[] = [];
    for (let k = 0; k < kept.length; k++) if (kept[k]!.net.family === family) at.push(k);
    while (i < m && ranges.family[i]! < family) i++;
    for (const j of addressOrder(at.map((k) => kept[k]!.net))) {
      const k = at[j]!;
      const start = rangeOf(kept[k]!.net).start;
      while (i < m && ranges.family[i] === family && ranges.ends[i]! < start) i++;
      first[k] = i;
    }
  }
  return first;
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

/**
 * A source's network. Most are dynamic blocks of one canonical IPv4 host, as the store
 * keeps them: those skip the careful parse (trim, split, mask, text rebuilt), since their
 * text already is the canonical one; anything else goes through parseNetwork.
 */
function networkOf(text: string): Network | null {
  const v = canonicalV4Number(text);
  if (v < 0) return parseNetwork(text);
  return {
    family: 4,
    bytes: Uint8Array.of(v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255),
    prefix: 32,
    text,
  };
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
