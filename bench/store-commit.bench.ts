/**
 * What a live block costs the store writer thread (issue 13): `SqliteStore.commit` of the
 * rows one block writes — its block record, block count, decision, attack and history
 * event, as the flood bench's distributed blocks make them (one user, no user agent, a
 * 100-character note, one sample) — into a fresh database, in commits of `--batch` blocks
 * (35: a 100 ms gather at 1k msg/s of the flood mix; 500 and more: a writer behind a flood).
 * Records are built before the clock starts; what is timed is the commits alone, on this
 * thread, as the writer thread runs them (WAL, synchronous=FULL, the store's own pragmas).
 *
 *   node --import tsx bench/store-commit.bench.ts [--blocks 50000] [--batch 500] [--runs 3]
 *        [--root DIR[,DIR2]] [--parts blocks,incrementTimesBlocked,decisions,attacks,history[,renewals]]
 *        [--staged]
 *
 * Prints per fresh process: µs of CPU a block (user + system; system is mostly the WAL's
 * page writes and fsyncs), wall µs a block, and the database and WAL sizes at the end.
 * With two --root checkouts (each with dist/ built) the runs alternate A, B, A, B… on the
 * same machine. --parts commits only some of the rows (which of them costs what); the part
 * `renewals` (not in the default) adds to each commit a renewal of every block of the
 * commit before (its record with a later lastSeen and expiry: an extend, ~2.5 a block in
 * the issue-13 flood), still counted per new block. --staged hands each commit over as the
 * daemon does (the root's StoreWriter: `stage` on the main thread, timed apart and printed
 * with the bytes a block; the timed commits then read each batch back with `unstage`, as
 * the writer thread does before its commit).
 * Bounded: ≤ 1M blocks, one temp directory each run, removed at the end.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const HERE = dirname(new URL(import.meta.url).pathname);
const PARTS = ['blocks', 'incrementTimesBlocked', 'decisions', 'attacks', 'history'] as const;
/** Not in the default: a renewal (extend) of a block of the batch before, as a flood renews them. */
const EXTRA = ['renewals'] as const;
type Part = (typeof PARTS)[number] | (typeof EXTRA)[number];

const { values } = parseArgs({
  options: {
    blocks: { type: 'string', default: '50000' },
    batch: { type: 'string', default: '500' },
    runs: { type: 'string', default: '3' },
    root: { type: 'string', default: dirname(HERE) },
    parts: { type: 'string', default: PARTS.join(',') },
    staged: { type: 'boolean', default: false },
    measure: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});

/** The five rows of block `i` (addresses spread over 198.18.0.0/15 as the flood's are). */
function rowsOf(i: number, t: number): Record<Part, unknown> {
  const k = Math.imul(i, 7919) >>> 0;
  const ip = `198.${18 + ((i >> 16) & 1)}.${(k >> 8) & 255}.${k & 255}`;
  const ext = String(100 + (i % 900));
  const note = `distributed guessing: extension ${ext} attacked from 10 addresses within an hour, this address among them`;
  const seen = { userAgent: null, users: [ext], attempts: 10, transport: 'udp', port: 5060 };
  const block = (at: number) => ({
    ip,
    reason: 'distributed',
    country: null,
    ...seen,
    firstSeen: t,
    lastSeen: at,
    blockedAt: t,
    expiresAt: at + 600,
    timesBlocked: 1,
    misconfiguredPhone: false,
    note,
  });
  return {
    renewals: block(t + 30),
    blocks: {
      ip,
      reason: 'distributed',
      country: null,
      ...seen,
      firstSeen: t,
      lastSeen: t,
      blockedAt: t,
      expiresAt: t + 600,
      timesBlocked: 1,
      misconfiguredPhone: false,
      note,
    },
    incrementTimesBlocked: { ip, at: t },
    decisions: {
      at: t,
      ip,
      action: 'block',
      reason: 'distributed',
      expiresAt: t + 600,
      ...seen,
      country: null,
      timesBlocked: 1,
      misconfiguredPhone: false,
      note,
    },
    attacks: { at: t, ip, rule: 'distributed', ...seen, misconfiguredPhone: false, country: null },
    history: {
      at: t,
      kind: 'block',
      subject: ip,
      reason: 'distributed',
      actor: 'sipprotd@bench',
      country: null,
      userAgent: null,
      users: [ext],
      attempts: 10,
      expiresAt: t + 600,
      renewals: null,
      lastSeen: null,
      misconfiguredPhone: false,
      note,
      samples: [`REGISTER ${ext} → 401 Unauthorized`],
    },
  };
}

interface Staging {
  stage(b: unknown): Uint8Array;
  unstage(s: Uint8Array): unknown;
}

async function measure(root: string, blocks: number, batch: number, parts: Part[]): Promise<void> {
  const { SqliteStore } = await import(pathToFileURL(join(root, 'dist/store/sqlite-store.js')).href);
  const { StoreWriter } = await import(pathToFileURL(join(root, 'dist/daemon/store-writer.js')).href);
  const dir = mkdtempSync(join(tmpdir(), 'sipprot-store-commit-'));
  try {
    const store = SqliteStore.open(dir);
    const batches: Array<Record<string, unknown[]>> = [];
    let t = 1_796_482_490.71505;
    for (let i = 0; i < blocks; i += batch) {
      const b: Record<string, unknown[]> = Object.fromEntries(parts.map((p) => [p, []]));
      for (let j = i; j < Math.min(blocks, i + batch); j++) {
        t += 0.0001;
        // A renewal is of the block `batch` earlier (in the commit before); the first commit has none.
        const rows = rowsOf(j, t);
        for (const p of parts) if (p !== 'renewals') b[p]!.push(rows[p]);
        if (parts.includes('renewals') && j >= batch) b.renewals!.push(rowsOf(j - batch, t).renewals);
      }
      if (b.renewals) {
        b.blocks = [...(b.blocks ?? []), ...b.renewals];
        delete b.renewals;
      }
      batches.push(b);
    }
    let staging: { cpuUs: number; bytes: number } | null = null;
    let staged: Uint8Array[] = [];
    // No commit goes through it: it never starts its thread, `stage` and `unstage` are the hand-over's two ends.
    const writer: Staging = new StoreWriter(dir, store, console);
    if (values.staged) {
      const s0 = process.cpuUsage();
      staged = batches.map((b) => writer.stage(b));
      const s = process.cpuUsage(s0);
      staging = {
        cpuUs: (s.user + s.system) / blocks,
        bytes: staged.reduce((n, x) => n + x.byteLength, 0) / blocks,
      };
    }
    const c0 = process.cpuUsage();
    const w0 = performance.now();
    if (values.staged) for (const s of staged) await store.commit(writer.unstage(s));
    else for (const b of batches) await store.commit(b);
    const c = process.cpuUsage(c0);
    const wall = performance.now() - w0;
    const size = (f: string) => (existsSync(join(dir, f)) ? statSync(join(dir, f)).size / 2 ** 20 : 0);
    const out = {
      cpuUs: (c.user + c.system) / blocks,
      systemUs: c.system / blocks,
      wallUs: (wall * 1000) / blocks,
      dbMb: size('sipprot.db'),
      walMb: size('sipprot.db-wal'),
      staging,
    };
    await store.close();
    process.stdout.write(`${JSON.stringify(out)}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  if (values.help) {
    console.log((await import('node:fs')).readFileSync(new URL(import.meta.url), 'utf8').split('*/')[0]);
    return;
  }
  const blocks = Number(values.blocks);
  const batch = Number(values.batch);
  if (!(blocks >= 1 && blocks <= 1_000_000) || !(batch >= 1 && batch <= blocks))
    throw new Error('store-commit.bench: --blocks 1-1000000, --batch 1-blocks');
  const parts = values.parts!.split(',') as Part[];
  for (const p of parts)
    if (!(PARTS as readonly string[]).includes(p) && !(EXTRA as readonly string[]).includes(p))
      throw new Error(`store-commit.bench: no part ${p}`);
  if (values.measure) return measure(values.root!, blocks, batch, parts);
  const roots = values.root!.split(',');
  for (const r of roots)
    if (!existsSync(join(r, 'dist/store/sqlite-store.js')))
      throw new Error(`store-commit.bench: ${r}/dist is not built`);
  console.log(
    `store commit machine: ${cpus().length} × ${cpus()[0]?.model}, load ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}, node ${process.version}; ${blocks.toLocaleString('en')} blocks in commits of ${batch}`,
  );
  for (let i = 0; i < Number(values.runs); i++) {
    for (const [k, root] of roots.entries()) {
      const out = execFileSync(
        process.execPath,
        [
          '--import',
          'tsx',
          join(HERE, 'store-commit.bench.ts'),
          '--measure',
          '--root',
          root,
          '--blocks',
          `${blocks}`,
          '--batch',
          `${batch}`,
          '--parts',
          parts.join(','),
          ...(values.staged ? ['--staged'] : []),
        ],
        { encoding: 'utf8', timeout: 10 * 60_000 },
      );
      const r = JSON.parse(out.trim().split('\n').pop()!);
      console.log(
        `store commit [${k === 0 ? 'A' : 'B'} ${root}] run ${i + 1}: ${r.cpuUs.toFixed(1)} µs of CPU a block ` +
          `(system ${r.systemUs.toFixed(1)}), wall ${r.wallUs.toFixed(1)} µs a block, ` +
          `database ${r.dbMb.toFixed(0)} MB, WAL ${r.walMb.toFixed(0)} MB, load ${loadavg()[0]!.toFixed(1)}` +
          (r.staging
            ? `; staged on the main thread: ${r.staging.cpuUs.toFixed(2)} µs a block, ${r.staging.bytes.toFixed(0)} bytes a block (read back in the timed commits)`
            : ''),
      );
    }
  }
}

await main();
