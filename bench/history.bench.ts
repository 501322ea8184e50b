/**
 * The history at a million rows (issue 16): how long one page takes, for every filter the
 * CLI and the Events tab offer, on a year of a busy PBX's history in SQLite.
 * Run: node --import tsx bench/history.bench.ts [--rows 1000000] [--runs 200] [--dir DIR]
 *
 * 1. Builds the history through SqliteStore.recordHistory (10k events a transaction):
 *    1M events over 365 days from 200k addresses (attackers come back), 60 countries,
 *    300 user agents (two of them rare: 12 events each), 1-4 of 2,000 extensions, every
 *    kind (blocks and expiries most, lifts, escalations, list and settings changes).
 * 2. Runs each query shape `--runs` times with fresh random values and cursors (a first
 *    page and deep pages), page size 50, and prints p50, p99 and max in milliseconds of
 *    wall time, and p50 and p99 of CPU time (what the neighbours on a shared machine
 *    take from the wall time does not show there).
 *    "all pages" lines follow `next` until 50 events or the end (a rare user agent).
 *
 * Bounded: fixed row and run counts, one temp directory (removed unless --dir is given).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HistoryKind, NewHistoryEvent } from '../src/core/history/events.js';
import type { HistoryQuery } from '../src/core/history/query.js';
import { SqliteStore } from '../src/store/sqlite-store.js';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const ROWS = arg('rows', 1_000_000);
const RUNS = arg('runs', 200);
const dirArg = process.argv.includes('--dir') ? process.argv[process.argv.indexOf('--dir') + 1] : undefined;

let seed = 20261205;
const rand = () => {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return seed / 2 ** 32;
};
const pick = <T>(a: readonly T[]): T => a[Math.floor(rand() * a.length)]!;

const END = 1_800_000_000;
const YEAR = 365 * 86400;
const ADDRESSES = Array.from({ length: 200_000 }, (_, i) =>
  i % 10 === 9
    ? `2001:db8:${(i % 4096).toString(16)}::${(i >> 12).toString(16)}`
    : `${45 + (i % 150)}.${(i >> 8) & 255}.${(i * 7) & 255}.${i & 255}`,
);
const COUNTRIES = Array.from({ length: 60 }, (_, i) =>
  String.fromCharCode(65 + (i % 26), 65 + Math.floor(i / 26) + 1),
);
const AGENTS = [
  ...Array.from({ length: 298 }, (_, i) => `Agent-${i} ${i % 3 === 0 ? 'friendly-scanner' : 'SIP'}/${i}`),
];
const RARE = ['RareScanner/0.9', 'Yealink SIP-T46S 66.86'];
const REASONS = ['auth-failures', 'scanner', 'enumeration', 'toll-fraud', 'slow-attack', 'flood'] as const;
const EXTENSIONS = Array.from({ length: 2000 }, (_, i) => String(100 + i));

function kindOf(r: number): HistoryKind {
  if (r < 0.45) return 'block';
  if (r < 0.9) return 'expire';
  if (r < 0.95) return 'unblock';
  if (r < 0.98) return 'permanent';
  return pick(['allow-add', 'allow-remove', 'deny-add', 'deny-remove', 'settings'] as const);
}

function event(i: number): NewHistoryEvent {
  const kind = kindOf(rand());
  const at = END - YEAR + (i / ROWS) * YEAR;
  const list = kind.includes('-') || kind === 'settings';
  const rare = i % Math.floor(ROWS / 12) === 7 ? RARE[i % 2]! : null;
  return {
    at,
    kind,
    subject: kind === 'settings' ? null : pick(ADDRESSES),
    reason: list ? null : kind === 'unblock' ? 'manual' : kind === 'expire' ? 'expired' : pick(REASONS),
    actor: kind === 'unblock' || list ? 'web:admin@10.0.0.2' : 'sipprotd@pbx1',
    country: list ? null : pick(COUNTRIES),
    userAgent: list ? null : (rare ?? pick(AGENTS)),
    users: list ? [] : Array.from({ length: 1 + Math.floor(rand() * 4) }, () => pick(EXTENSIONS)),
    attempts: Math.floor(rand() * 50),
    expiresAt: kind === 'block' ? at + 600 : null,
    renewals: kind === 'expire' || kind === 'unblock' ? Math.floor(rand() * 10) : null,
    lastSeen: kind === 'expire' || kind === 'unblock' ? at - 600 : null,
    misconfiguredPhone: rand() < 0.02,
    note: null,
    samples: kind === 'block' ? ['REGISTER 100 → 401 Unauthorized', 'REGISTER 100 → 403 Forbidden'] : [],
  };
}

/** The /24 of an address that has history (an attacker's neighbourhood). */
function net24(): string {
  const a = ADDRESSES[Math.floor(rand() * ADDRESSES.length) | 0]!;
  return a.includes(':') ? '45.0.0.0/24' : `${a.split('.').slice(0, 3).join('.')}.0/24`;
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function measure(
  store: SqliteStore,
  name: string,
  make: () => Omit<HistoryQuery, 'limit'>,
  allPages = false,
): Promise<void> {
  const times: number[] = [];
  const cpu: number[] = [];
  let events = 0;
  let pages = 0;
  for (let r = 0; r < RUNS; r++) {
    const q: HistoryQuery = { limit: 50, ...make() };
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    let page = await store.history(q);
    let got = page.events.length;
    pages++;
    while (allPages && got < 50 && page.next) {
      page = await store.history({ ...q, before: page.next });
      got += page.events.length;
      pages++;
    }
    times.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
    events += got;
  }
  times.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  const f = (n: number) => n.toFixed(2);
  console.log(
    `history ${name}: p50 ${f(pct(times, 50))} ms, p99 ${f(pct(times, 99))} ms, max ${f(times.at(-1)!)} ms; ` +
      `CPU p50 ${f(pct(cpu, 50))} ms, p99 ${f(pct(cpu, 99))} ms ` +
      `(${RUNS} runs, ${(events / RUNS).toFixed(1)} events and ${(pages / RUNS).toFixed(1)} pages a run)`,
  );
}

async function main(): Promise<void> {
  const dir = dirArg ?? mkdtempSync(join(tmpdir(), 'sipprot-history-bench-'));
  console.log(`history bench: ${ROWS} rows, ${RUNS} runs a query, load average ${loadavg()[0]!.toFixed(2)}`);
  let store = SqliteStore.open(dir);
  try {
    const have = (await store.history({ limit: 1 })).events.length > 0;
    if (!have) {
      const t0 = performance.now();
      for (let i = 0; i < ROWS; i += 10_000) {
        const batch: NewHistoryEvent[] = [];
        for (let j = i; j < Math.min(ROWS, i + 10_000); j++) batch.push(event(j));
        await store.recordHistory(batch);
      }
      const s = (performance.now() - t0) / 1000;
      console.log(
        `history build: ${ROWS} events in ${s.toFixed(1)} s (${Math.round(ROWS / s)} events/s, 10k a transaction)`,
      );
      await store.close();
      store = SqliteStore.open(dir);
    }
    const deep = () => ({ before: { at: END - rand() * YEAR, id: Number.MAX_SAFE_INTEGER } });
    const some = () => (rand() < 0.5 ? {} : deep());
    await measure(store, 'first page, no filter', () => ({}));
    await measure(store, 'deep page, no filter', deep);
    await measure(store, 'address', () => ({ subject: pick(ADDRESSES), ...some() }));
    await measure(store, 'network /24', () => ({ network: net24(), ...some() }));
    await measure(store, 'network /24, all pages', () => ({ network: net24() }), true);
    await measure(store, 'network /8', () => ({
      network: `${45 + Math.floor(rand() * 150)}.0.0.0/8`,
      ...some(),
    }));
    await measure(store, 'extension', () => ({ user: pick(EXTENSIONS), ...some() }));
    await measure(store, 'country', () => ({ country: pick(COUNTRIES), ...some() }));
    await measure(store, 'reason', () => ({ reason: pick(REASONS), ...some() }));
    await measure(store, 'user agent, common', () => ({ userAgent: 'friendly-scanner', ...some() }));
    await measure(store, 'user agent, rare (one page)', () => ({
      userAgent: pick(RARE).toLowerCase(),
      ...some(),
    }));
    await measure(
      store,
      'user agent, rare, all pages',
      () => ({ userAgent: pick(RARE).toLowerCase() }),
      true,
    );
    await measure(store, 'last 24 hours', () => ({ since: END - 86400, until: END + 1 }));
    await measure(store, 'country + extension', () => ({ country: pick(COUNTRIES), user: pick(EXTENSIONS) }));
    await measure(store, 'kinds unblock+permanent', () => ({ kinds: ['unblock', 'permanent'], ...some() }));
  } finally {
    await store.close();
    if (!dirArg) rmSync(dir, { recursive: true, force: true });
  }
}

await main();
