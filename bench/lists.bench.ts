/**
 * Allow/deny list performance at 100k entries. Run: node --import tsx bench/lists.bench.ts
 * Prints one line per result. Bounded: fixed entry and lookup counts, no network.
 *
 * The blocklist export (GET /api/blocks/export, what routers and SBCs poll) at the end:
 * 100k dynamic blocks by default. Alone, at another size, or the pre-issue-13 computation
 * (src/core/lists/export-v1.testkit.ts) for an A/B in fresh processes:
 *   node --import tsx bench/lists.bench.ts export [--blocks 1000000] [--v1]
 * What a poll cost the event loop to hand the lists to the writer thread, before and since
 * the thread reads the list files itself (100k deny entries in a real file):
 *   node --import tsx bench/lists.bench.ts handover
 * The same for 100k feed entries, before (built and cloned on every poll that includes
 * feeds) and since (only the feeds' generation while it has not moved):
 *   node --import tsx bench/lists.bench.ts feeds
 */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serialize } from 'node:v8';
import { blockSources, exportBlocks } from '../src/core/lists/export.js';
import { renderExport } from '../src/core/lists/export-render.js';
import { exportBlocksV1 } from '../src/core/lists/export-v1.testkit.js';
import { parseCsv, toCsv } from '../src/core/lists/list-csv.js';
import { AccessLists, formatListFile, parseListFile } from '../src/core/lists/lists.js';
import { parseAddress, parseNetwork } from '../src/core/net/ip.js';
import { PrefixSet } from '../src/core/net/prefix-set.js';
import type { ListEntry } from '../src/core/types.js';
import { listEntriesOf } from '../src/daemon/off-loop-reads.js';
import { ListFiles } from '../src/lists/list-files.js';

const ENTRIES = 100_000;
const LOOKUPS = 1_000_000;

let seed = 12345;
function rand(): number {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return seed;
}

function randomV4(): string {
  const x = rand();
  return `${(x >>> 24) | 1}.${(x >>> 16) & 255}.${(x >>> 8) & 255}.${x & 255}`;
}

function randomV6(): string {
  const w = () => (rand() & 0xffff).toString(16);
  return `2001:db8:${w()}:${w()}:${w()}:${w()}:${w()}:${w()}`;
}

/** 80% IPv4 hosts, 10% IPv4 /16-/28 networks, 10% IPv6 hosts and /48s. */
function makeEntries(n: number): ListEntry[] {
  const out: ListEntry[] = [];
  for (let i = 0; i < n; i++) {
    const k = i % 10;
    let text: string;
    if (k < 8) text = randomV4();
    else if (k === 8) {
      const prefix = 16 + (rand() % 13);
      const a = parseAddress(randomV4())!;
      const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
      const v = ((a.bytes[0]! << 24) | (a.bytes[1]! << 16) | (a.bytes[2]! << 8) | a.bytes[3]!) & mask;
      text = `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}/${prefix}`;
    } else if (rand() & 1) text = randomV6();
    else text = `2001:db8:${(rand() & 0xffff).toString(16)}::/48`;
    out.push({ network: text, note: `entry ${i}` });
  }
  return out;
}

function time<T>(fn: () => T): [T, number] {
  const t0 = performance.now();
  const r = fn();
  return [r, performance.now() - t0];
}

function line(name: string, value: string) {
  console.log(`${name}: ${value}`);
}

const args = process.argv.slice(2);
const exportOnly = args[0] === 'export';
const blocksAt = args.indexOf('--blocks');
const EXPORT_BLOCKS = blocksAt >= 0 ? Number(args[blocksAt + 1]) : 100_000;
if (!Number.isInteger(EXPORT_BLOCKS) || EXPORT_BLOCKS < 1 || EXPORT_BLOCKS > 5_000_000) {
  throw new Error('--blocks takes a whole number 1-5000000');
}

function listsBench(): void {
  const entries = makeEntries(ENTRIES);
  const networks = entries.map((e) => parseNetwork(e.network)!);

  const [set, buildMs] = time(() => {
    const s = new PrefixSet<number>();
    for (let i = 0; i < networks.length; i++) s.add(networks[i]!, i);
    return s;
  });
  line(`prefix-set build ${set.size} entries`, `${buildMs.toFixed(1)} ms`);

  const probes4 = Array.from({ length: 10_000 }, () => parseAddress(randomV4())!);
  const probes6 = Array.from({ length: 10_000 }, () => parseAddress(randomV6())!);
  for (const [family, probes] of [
    ['IPv4', probes4],
    ['IPv6', probes6],
  ] as const) {
    let hits = 0;
    const [, ms] = time(() => {
      for (let i = 0; i < LOOKUPS; i++) if (set.lookup(probes[i % probes.length]!)) hits++;
    });
    line(
      `prefix-set lookup ${family} (parsed address)`,
      `${Math.round(LOOKUPS / (ms / 1000)).toLocaleString('en')} lookups/s (${hits} hits)`,
    );
  }

  const half = ENTRIES / 2;
  const [lists, listsMs] = time(() => new AccessLists(entries.slice(0, half), entries.slice(half)));
  line(`access-lists build ${lists.allowSize}+${lists.denySize} entries`, `${listsMs.toFixed(1)} ms`);

  const texts = probes4.map((a) => a.text);
  {
    const n = LOOKUPS / 4;
    const [, ms] = time(() => {
      for (let i = 0; i < n; i++) lists.check(texts[i % texts.length]!);
    });
    line(
      'access-lists check (text, parse included)',
      `${Math.round(n / (ms / 1000)).toLocaleString('en')} checks/s`,
    );
  }

  const fileText = formatListFile(entries, 'bench');
  const [parsed, parseMs] = time(() => parseListFile(fileText));
  line(`list-file parse ${parsed.entries.length} lines`, `${parseMs.toFixed(1)} ms`);

  const csvText = toCsv(entries);
  const [csv, csvMs] = time(() => parseCsv(csvText));
  line(`csv parse ${csv.entries.length} rows`, `${csvMs.toFixed(1)} ms`);
}

/**
 * The export's answer without the store's read: the blocks as the writer thread holds them
 * after listBlocks (90% IPv4 hosts, 10% IPv6 hosts, as an attack's sources), 1,000 deny
 * networks, 20 allowed networks; computed, then rendered as text (what most pollers take).
 */
function exportBench(): void {
  const dynamic = Array.from({ length: EXPORT_BLOCKS }, (_, i) => ({
    ip: i % 10 === 9 ? randomV6() : randomV4(),
    reason: 'auth-failures' as const,
    expiresAt: 1_900_000_000 + (i % 3600),
    note: null,
  }));
  const deny = makeEntries(1000).filter((e) => e.network.includes('/'));
  const allow = makeEntries(200)
    .filter((e) => e.network.includes('/'))
    .slice(0, 20)
    .map((e) => e.network);
  const v1 = args.includes('--v1');
  const compute = v1 ? exportBlocksV1 : exportBlocks;
  const options = { include: ['dynamic', 'deny'] as const, now: 1_800_000_000 };
  for (const aggregate of [false, true]) {
    const [x, ms] = time(() => compute(blockSources(dynamic, deny), allow, { ...options, aggregate }));
    const [text, renderMs] = time(() => renderExport(x, 'text'));
    const what = `export ${v1 ? '(v1) ' : ''}${EXPORT_BLOCKS} dynamic + ${deny.length} deny${aggregate ? ', aggregated' : ''}`;
    line(
      what,
      `${ms.toFixed(0)} ms (${((ms * 1000) / EXPORT_BLOCKS).toFixed(2)} µs a block), text render ${renderMs.toFixed(0)} ms, ${x.blocks.length} lines, ${(text.length / 1e6).toFixed(1)} MB`,
    );
  }
}

/**
 * Per poll, before: the loop read and parsed both list files and the message cloned the
 * entries (the v8 serializer a worker's postMessage uses). Since: the loop sends two paths,
 * and the thread stats the files and keeps what it read while they are unchanged.
 */
async function handoverBench(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sipprot-bench-lists-'));
  try {
    const files = { allow: join(dir, 'allow.list'), deny: join(dir, 'deny.list') };
    const lists = new ListFiles(files);
    writeFileSync(files.deny, formatListFile(makeEntries(ENTRIES), 'bench deny'));
    writeFileSync(files.allow, formatListFile(makeEntries(100), 'bench allow'));
    for (let round = 1; round <= 3; round++) {
      const [, beforeMs] = time(() => serialize({ deny: lists.read('deny'), allow: lists.read('allow') }));
      const [, sinceMs] = time(() => serialize({ files }));
      const [deny, threadMs] = time(
        () => listEntriesOf(files, 'deny').length + listEntriesOf(files, 'allow').length,
      );
      line(
        `export hand-over, poll ${round}, ${deny} list entries`,
        `loop before ${beforeMs.toFixed(1)} ms, loop since ${sinceMs.toFixed(3)} ms, thread ${threadMs.toFixed(1)} ms${round === 1 ? ' (first read)' : ' (unchanged: stat only)'}`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Per poll with feeds, on the loop: the entries built as FeedManager.entries() builds them
 * (every live entry of a Map, as a new row) and cloned into the job, before; since, while
 * the generation stands, the job carries only the number.
 */
function feedsBench(): void {
  const now = 1_800_000_000;
  const entries = new Map<string, { net: { text: string }; since: number; expiresAt: number }>();
  for (const e of makeEntries(ENTRIES)) {
    entries.set(e.network, { net: { text: e.network }, since: now - 60, expiresAt: now + 86_400 });
  }
  for (let round = 1; round <= 3; round++) {
    const [, beforeMs] = time(() => {
      const rows = [...entries.values()]
        .filter((e) => e.expiresAt > now)
        .map((e) => ({ feed: 'voipbl', network: e.net.text, since: e.since, expiresAt: e.expiresAt }));
      return serialize({ feeds: rows });
    });
    const [, sinceMs] = time(() => serialize({ feeds: null, feedsGeneration: 7 }));
    line(
      `export feeds hand-over, poll ${round}, ${entries.size} feed entries`,
      `loop before ${beforeMs.toFixed(1)} ms, loop since (unchanged) ${sinceMs.toFixed(3)} ms`,
    );
  }
}

if (args[0] === 'handover') await handoverBench();
else if (args[0] === 'feeds') feedsBench();
else {
  if (!exportOnly) listsBench();
  exportBench();
}
