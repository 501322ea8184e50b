/**
 * The cost of opening the Dynamic Denylist on a big list (issue 13, the live view): how
 * long the server's event loop is held, and how long until the first rows.
 *
 *   npm run build && node --import tsx bench/live/view-open.bench.ts [--blocks 52407] [--runs 3] [--client sse|chromium]
 *     [--sort ip --dir asc]   (sse: the first page in that order; default the UI's, newest first)
 *
 * A child process serves the API as the daemon does for the web (buildApi over SqliteStore
 * in a STATE_DIR holding N running blocks, pages and snapshots read through the daemon's
 * QueueWriter thread) with a 5 ms interval timer beside it; "loop CPU" is the main thread's
 * CPU time in the window (the loop's own work: the load does not inflate it), "held" the sum of
 * each gap's excess over 5 ms while a view opens, "max gap" the longest, each beside the same
 * window right after with no view opening (the machine's load alone). The parent opens a
 * view per run (fresh connection, logged in):
 * - sse: the live events and what the UI reads first — after `ready`, GET /api/dynamic/page
 *   (the first 100 rows); a build before the paging (a2f49f5) sends `snapshot`, the whole
 *   list — "first rows" is when that data has arrived whole;
 * - chromium: the web UI in headless Chromium: login, then the tab; "first rows" is from
 *   the tab's click to the first row in the table, and the page's JS heap after.
 * The window closes 1 s after the first rows. Works against the build before the paging too
 * (run this file from a checkout of it): it gives the deps both names.
 *
 * `--plans`: the first page's two statements on N blocks (sqlite-block-page.ts: the rows in
 * the default order, the counts), their query plans and times, without and with the two
 * indexes that would answer them (blocked_at; misconfigured_phone = 1, partial), and what
 * those indexes cost each block written (the store's putBlock, an upsert; commits
 * of 500, half new addresses, half rewrites), alternating without/with in one process.
 * `--plans --address`: the first page sorted by address, and a page after a keyset in the
 * middle, in text order (before) and in address order (core/block-view.ts's key as the
 * store's SQL function; "narrow": sorting only the rowids, then reading the page's rows,
 * as sqlite-block-page.ts does), both directions, alternating in one process.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { mainThreadCpuMs } from './daemon.js';

const { values } = parseArgs({
  options: {
    blocks: { type: 'string', default: '52407' },
    runs: { type: 'string', default: '3' },
    client: { type: 'string', default: 'sse' },
    serve: { type: 'string' },
    plans: { type: 'boolean', default: false },
    address: { type: 'boolean', default: false },
    sort: { type: 'string' },
    dir: { type: 'string', default: 'asc' },
  },
});
const PASSWORD = 'bench view-open password';

if (values.serve) await serve(values.serve, Number(values.blocks));
else if (values.plans && values.address) await addressPlans(Number(values.blocks));
else if (values.plans) await plans(Number(values.blocks));
else await main();

/** N running blocks in the store, as a distributed attack leaves them, committed 5,000 at a time. */
async function seed(store: { commit(b: { blocks: never[] }): Promise<void> }, blocks: number, now: number) {
  const batch = [];
  for (let i = 0; i < blocks; i++) {
    batch.push({
      ip: `100.${64 + ((i >> 16) & 63)}.${(i >> 8) & 255}.${i & 255}`,
      reason: 'distributed' as const,
      userAgent: `friendly-scanner ${i % 97}`,
      country: 'NL',
      attempts: 3 + (i % 40),
      users: [`${100 + (i % 300)}`, `${200 + (i % 70)}`],
      transport: 'udp' as const,
      port: 5060,
      firstSeen: now - 600 - i * 0.001,
      lastSeen: now - 60 - i * 0.001,
      blockedAt: now - 60 - i * 0.001,
      expiresAt: now + 3600,
      timesBlocked: 1,
      misconfiguredPhone: false,
      note: `distributed guessing of extension ${100 + (i % 300)} from many addresses`,
    });
    if (batch.length === 5000 || i === blocks - 1) await store.commit({ blocks: batch.splice(0) as never[] });
  }
}

/** The child: the API over the STATE_DIR's store, and the loop probe. */
async function serve(stateDir: string, blocks: number): Promise<void> {
  const { SqliteStore } = await import('../../src/store/sqlite-store.js');
  const { QueueWriter } = await import('../../src/daemon/queue-writer.js');
  const { buildApi } = await import('../../src/api/server.js');
  const { setAdminPassword } = await import('../../src/platform/admin-password.js');
  const world = await import('../../src/api/world.testkit.js').catch(
    () => import('../../src/api/admin.fake.js'),
  );
  const store = SqliteStore.open(stateDir);
  await seed(store, blocks, Date.now() / 1000);
  await setAdminPassword(store, PASSWORD);
  const w = (world as unknown as { fakeWorld(o?: object): { deps: Record<string, unknown> } }).fakeWorld({
    realTime: true,
  });
  const offLoop = new QueueWriter(store, { info() {}, warn() {}, error() {}, debug() {} } as never);
  const deps = {
    ...w.deps,
    store,
    clock: () => Date.now() / 1000,
    pageBlocks: (q: never) => offLoop.pageBlocks(q),
    liveSnapshot: (t: number) => (offLoop as unknown as { dynamicJson(t: number): unknown }).dynamicJson(t),
  };
  const app = await buildApi(deps as never, { transport: 'tcp', webRoot: join(process.cwd(), 'web/dist') });
  await app.listen({ host: '127.0.0.1', port: 0 });
  let last = performance.now();
  let held = 0;
  let max = 0;
  let cpu0 = mainThreadCpuMs();
  setInterval(() => {
    const t = performance.now();
    const gap = t - last;
    last = t;
    held += Math.max(0, gap - 5);
    max = Math.max(max, gap);
  }, 5);
  const out = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);
  out({ port: (app.server.address() as { port: number }).port });
  for await (const line of createInterface({ input: process.stdin })) {
    if (line === 'reset') {
      held = 0;
      max = 0;
      cpu0 = mainThreadCpuMs();
      out({ reset: true });
    } else if (line === 'report') out({ heldMs: held, maxGapMs: max, cpuMs: mainThreadCpuMs() - cpu0 });
  }
  await app.close();
  await offLoop.close();
  process.exit(0);
}

async function main(): Promise<void> {
  const blocks = Number(values.blocks);
  const stateDir = mkdtempSync(join(tmpdir(), 'sipprot-view-open-'));
  const child = spawn(
    process.execPath,
    [...process.execArgv, new URL(import.meta.url).pathname, '--serve', stateDir, '--blocks', String(blocks)],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async () => JSON.parse((await lines.next()).value as string) as Record<string, number>;
  const ask = async (what: string) => {
    child.stdin!.write(`${what}\n`);
    return next();
  };
  const { port } = await next();
  const base = `http://127.0.0.1:${port}`;
  for (let run = 1; run <= Number(values.runs); run++) {
    const load = loadavg()[0]!.toFixed(1);
    await new Promise((r) => setTimeout(r, 500));
    await ask('reset');
    const opened = performance.now();
    const r = values.client === 'chromium' ? await openChromium(base) : await openSse(base);
    await new Promise((res) => setTimeout(res, 1000));
    const loop = await ask('report');
    // The same window with no view opening: what this machine's load alone costs the loop.
    const window = performance.now() - opened;
    await ask('reset');
    await new Promise((res) => setTimeout(res, window));
    const idle = await ask('report');
    console.log(
      `${values.client} run ${run}: ${blocks} blocks, load ${load}: first rows ${r.firstRowsMs.toFixed(0)} ms ` +
        `(${r.rows} rows${Number.isNaN(r.bytes) ? '' : `, ${(r.bytes / 1e6).toFixed(2)} MB to the view`}${r.heapMb ? `, page JS heap ${r.heapMb.toFixed(0)} MB` : ''}); ` +
        `loop CPU ${loop.cpuMs} ms, held ${loop.heldMs!.toFixed(0)} ms, max gap ${loop.maxGapMs!.toFixed(0)} ms ` +
        `(the same ${(window / 1000).toFixed(1)} s idle: CPU ${idle.cpuMs} ms, held ${idle.heldMs!.toFixed(0)} ms, max gap ${idle.maxGapMs!.toFixed(0)} ms)`,
    );
  }
  child.stdin!.end();
  await new Promise((r) => child.once('exit', r));
  // The STATE_DIR holds every block seeded (1M: ~230 MB).
  rmSync(stateDir, { recursive: true, force: true });
}

async function login(base: string): Promise<string> {
  const res = await fetch(`${base}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ password: PASSWORD }),
  });
  if (res.status !== 200) throw new Error(`login answered ${res.status}`);
  return /sipprot_session=[^;]+/.exec(res.headers.getSetCookie().join('; '))![0];
}

interface Opened {
  firstRowsMs: number;
  rows: number;
  bytes: number;
  heapMb?: number;
}

/** The live events, and the first page after `ready` (or the old whole snapshot). */
async function openSse(base: string): Promise<Opened> {
  const cookie = await login(base);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(`${base}/api/dynamic/events`, { headers: { cookie } }, (res) => {
      let buf = '';
      let bytes = 0;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        bytes += chunk.length;
        const snap = buf.indexOf('event: snapshot\ndata: ');
        if (snap >= 0 && buf.indexOf('\n\n', snap) > 0) {
          const data = buf.slice(snap + 22, buf.indexOf('\n\n', snap));
          const rows = (JSON.parse(data) as { blocks: unknown[] }).blocks.length;
          req.destroy();
          resolve({ firstRowsMs: performance.now() - started, rows, bytes });
        } else if (buf.includes('event: ready\n')) {
          buf = '';
          const sort = values.sort ? `&sort=${values.sort}&dir=${values.dir}` : '';
          void fetch(`${base}/api/dynamic/page?limit=100${sort}`, { headers: { cookie } })
            .then((r) => r.text())
            .then((text) => {
              const rows = (JSON.parse(text) as { blocks: unknown[] }).blocks.length;
              req.destroy();
              resolve({ firstRowsMs: performance.now() - started, rows, bytes: bytes + text.length });
            }, reject);
        }
      });
    });
    req.on('error', (e) => (String(e).includes('socket hang up') ? undefined : reject(e)));
    req.end();
  });
}

/** The web UI in Chromium: from the tab's click to its first row. */
async function openChromium(base: string): Promise<Opened> {
  const { launchBrowser, login: uiLogin } = await import('../../test/web/browser.testkit.js');
  const browser = await launchBrowser();
  try {
    const page = await browser.context.newPage();
    await uiLogin(page, base, PASSWORD);
    const started = performance.now();
    await page.getByRole('link', { name: 'Dynamic Denylist' }).click();
    await page.locator('table.dynamic tbody tr').first().waitFor({ timeout: 120_000 });
    const firstRowsMs = performance.now() - started;
    const rows = await page.locator('table.dynamic tbody tr').count();
    const heap = await page.evaluate(
      () => (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? 0,
    );
    return { firstRowsMs, rows, bytes: Number.NaN, heapMb: heap / 1e6 };
  } finally {
    await browser.close();
  }
}

/** The first page's statements and a block write, without and with the indexes that would serve them. */
async function plans(blocks: number): Promise<void> {
  const { SqliteStore } = await import('../../src/store/sqlite-store.js');
  const { BLOCKS } = await import('../../src/store/sqlite-rows.js');
  const { default: Database } = await import('better-sqlite3');
  const dir = mkdtempSync(join(tmpdir(), 'sipprot-view-plans-'));
  try {
    const store = SqliteStore.open(dir);
    const now = Date.now() / 1000;
    await seed(store, blocks, now);
    await store.close();
    const db = new Database(join(dir, 'sipprot.db'));
    db.pragma('synchronous = FULL');
    const inForce = '(expires_at IS NULL OR expires_at > @at)';
    const statements = {
      rows: `SELECT ${BLOCKS.columns} FROM blocks WHERE ${inForce} ORDER BY blocked_at DESC, ip ASC LIMIT 101`,
      counts: `SELECT count(*), COALESCE(sum(misconfigured_phone), 0) FROM blocks WHERE ${inForce}`,
      // The same counts as the indexes could answer them: in force = all − ended (blocks_expires_at).
      'counts for the indexes': `SELECT (SELECT count(*) FROM blocks) - (SELECT count(*) FROM blocks WHERE expires_at <= @at),
        (SELECT count(*) FROM blocks WHERE misconfigured_phone = 1 AND ${inForce})`,
    };
    const indexes = [
      'CREATE INDEX bench_blocked_at ON blocks (blocked_at)',
      'CREATE INDEX bench_phones ON blocks (expires_at) WHERE misconfigured_phone = 1',
    ];
    // The store's putBlock (sqlite-statements.ts): a renewal updates the row in place.
    const put = db.prepare(
      `INSERT INTO blocks (${BLOCKS.columns}) VALUES (${BLOCKS.marks}) ON CONFLICT (ip) DO UPDATE SET ${BLOCKS.updates}`,
    );
    const cols = BLOCKS.columns.split(', ');
    const write = db.transaction((ips: string[], t: number) => {
      for (const ip of ips) {
        const v: Record<string, unknown> = {
          ...{
            ip,
            reason: 'scanner',
            user_agent: 'friendly-scanner',
            country: 'NL',
            attempts: 5,
            users: '["100"]',
          },
          ...{
            transport: 'udp',
            port: 5060,
            first_seen: t - 60,
            last_seen: t,
            blocked_at: t,
            expires_at: t + 3600,
          },
          ...{ times_blocked: 1, misconfigured_phone: 0, note: 'bench' },
        };
        put.run(...cols.map((c) => v[c] ?? null));
      }
    });
    let n = 0;
    for (const round of [1, 2]) {
      for (const withIndexes of [false, true]) {
        if (withIndexes) for (const sql of indexes) db.exec(sql);
        const at = Date.now() / 1000;
        for (const [name, sql] of Object.entries(statements)) {
          const plan = (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all({ at }) as Array<{ detail: string }>)
            .map((r) => r.detail)
            .join(' | ');
          const st = db.prepare(sql).raw(true);
          const ms = [1, 2, 3].map(() => {
            const t0 = performance.now();
            st.all({ at });
            return (performance.now() - t0).toFixed(1);
          });
          console.log(
            `round ${round}, ${withIndexes ? 'with' : 'without'} the indexes, ${name} (${blocks} blocks, load ${loadavg()[0]!.toFixed(1)}): ${ms.join(', ')} ms — ${plan}`,
          );
        }
        let spent = 0;
        for (let c = 0; c < 40; c++) {
          const ips = Array.from({ length: 500 }, (_, i) => {
            const x = (++n * 2654435761) >>> 0;
            return i % 2
              ? `100.${64 + ((x >> 16) & 15)}.${(x >> 8) & 255}.${x & 255}`
              : `198.18.${(n >> 8) & 255}.${n & 255}`;
          });
          const t0 = performance.now();
          write(ips, at + c);
          spent += performance.now() - t0;
        }
        console.log(
          `round ${round}, ${withIndexes ? 'with' : 'without'} the indexes, write: ${((spent * 1000) / 20_000).toFixed(1)} µs a block (20,000 in commits of 500)`,
        );
        if (withIndexes) db.exec('DROP INDEX bench_blocked_at; DROP INDEX bench_phones');
      }
    }
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The address sort's first page and a later one: text order (before) against address order. */
async function addressPlans(blocks: number): Promise<void> {
  const { SqliteStore } = await import('../../src/store/sqlite-store.js');
  const { BLOCKS } = await import('../../src/store/sqlite-rows.js');
  const { addressOrderKey } = await import('../../src/core/block-view.js');
  const { default: Database } = await import('better-sqlite3');
  const dir = mkdtempSync(join(tmpdir(), 'sipprot-view-address-'));
  try {
    const store = SqliteStore.open(dir);
    await seed(store, blocks, Date.now() / 1000);
    await store.close();
    const db = new Database(join(dir, 'sipprot.db'));
    db.function('sipprot_address_order', { deterministic: true }, (ip: unknown) =>
      addressOrderKey(String(ip)),
    );
    const inForce = '(expires_at IS NULL OR expires_at > @at)';
    const key = { text: 'ip', address: 'sipprot_address_order(ip)' };
    const v = { text: '@v', address: 'sipprot_address_order(@v)' };
    // The middle of the seeded addresses: a page the admin reaches after "show more"s.
    const middle = `100.${64 + ((blocks >> 17) & 63)}.${(blocks >> 9) & 255}.0`;
    for (const round of [1, 2]) {
      for (const order of ['text', 'address'] as const) {
        for (const d of ['ASC', 'DESC']) {
          const op = d === 'ASC' ? '>' : '<';
          const k = key[order];
          const tie = order === 'text' ? '' : ', ip ASC';
          const after = ` AND (${k} ${op} ${v[order]} OR (${k} = ${v[order]} AND ip > @v))`;
          for (const [page, cond] of [
            ['first page', ''],
            ['page after the middle', after],
          ] as const) {
            const sql = `SELECT ${BLOCKS.columns} FROM blocks WHERE ${inForce}${cond} ORDER BY ${k} ${d}${tie} LIMIT 101`;
            const narrow = `SELECT ${BLOCKS.columns} FROM blocks WHERE rowid IN (SELECT rowid FROM blocks WHERE ${inForce}${cond} ORDER BY ${k} ${d}${tie} LIMIT 101) ORDER BY ${k} ${d}${tie}`;
            for (const sql2 of order === 'address' ? [sql, narrow] : [sql]) {
              const params = { at: Date.now() / 1000, ...(cond ? { v: middle } : {}) };
              const plan = (db.prepare(`EXPLAIN QUERY PLAN ${sql2}`).all(params) as Array<{ detail: string }>)
                .map((r) => r.detail)
                .join(' | ');
              const st = db.prepare(sql2).raw(true);
              const ms = [1, 2, 3].map(() => {
                const t0 = performance.now();
                st.all(params);
                return (performance.now() - t0).toFixed(1);
              });
              console.log(
                `round ${round}, ${order} order${sql2 === sql ? '' : ' (narrow)'} ${d}, ${page} (${blocks} blocks, load ${loadavg()[0]!.toFixed(1)}): ${ms.join(', ')} ms — ${plan}`,
              );
            }
          }
        }
      }
    }
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
