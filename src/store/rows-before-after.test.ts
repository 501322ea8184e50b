/**
 * The cheaper rows of a block (bench/RESULTS.md "Rows per block") change no answer: on
 * real SQLite,
 * - a database written at schema version 5 answers every reader the same before and after
 *   migration 6 (partial country / user-agent indexes), and keeps every row;
 * - the same commits written the version-5 way (INSERT OR REPLACE of a block, the key from
 *   core's subjectKey) and by today's store (an upsert in place, the store's fast key) leave
 *   the same rows and the same answers.
 * The readers: history pages (every driver, followed through `next`), decisions (by time,
 * by address), attacks, the summary of reports, blocks (list, one, in force, pages, counts),
 * block counts, and prune afterwards.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import type Database from 'better-sqlite3';
import type { HistoryEvent, NewHistoryEvent } from '../core/history/events.js';
import { aHistoryEvent } from '../core/history/history.testkit.js';
import { type HistoryQuery, subjectKey } from '../core/history/query.js';
import { aBlock, aDecision, anAttack } from '../core/records.testkit.js';
import type { BlockRecord } from '../core/types.js';
import type { StoreBatch } from '../ports/store.js';
import { migrate, SCHEMA_VERSION, schemaVersion } from './migrations.js';
import { ATTACKS, BLOCKS, DECISIONS, NEW_HISTORY } from './sqlite-rows.js';
import { openDatabase, SqliteStore } from './sqlite-store.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sipprot-rows-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const COUNTRIES = [null, 'NL', 'DE', null, 'US'];
const AGENTS = [null, 'friendly-scanner', 'Yealink SIP-T46S', null, 'sipcli/v1.8'];
const SUBJECTS = ['192.0.2.1', '192.0.2.77', '198.51.100.9', '2001:db8::5', '203.0.113.0/24', '10.0.0.255'];

/** A varied history: every filter finds some rows and misses others. */
function events(n: number): NewHistoryEvent[] {
  const out: NewHistoryEvent[] = [];
  for (let i = 0; i < n; i++) {
    const at = 1000 + Math.floor(i / 3) + 0.25; // three events share each instant
    const kind = (['block', 'unblock', 'permanent', 'expire', 'deny-add', 'settings'] as const)[i % 6]!;
    out.push(
      aHistoryEvent(kind === 'settings' ? null : SUBJECTS[i % SUBJECTS.length]!, at, {
        kind,
        country: COUNTRIES[i % COUNTRIES.length]!,
        userAgent: AGENTS[(i >> 1) % AGENTS.length]!,
        users: i % 4 === 0 ? [] : [`${100 + (i % 7)}`, ...(i % 3 === 0 ? ['alice'] : [])],
        reason: kind === 'deny-add' || kind === 'settings' ? null : i % 2 ? 'scanner' : 'auth-failures',
        actor: i % 5 === 0 ? 'cli' : 'sipprotd@pbx1',
        note: i % 9 === 0 ? `note ${i}` : null,
      }),
    );
  }
  return out;
}

const QUERIES: Array<Omit<HistoryQuery, 'limit'>> = [
  {},
  { subject: '192.0.2.1' },
  { subject: '2001:db8::5' },
  { subject: '203.0.113.0/24' },
  { network: '192.0.2.0/24' },
  { network: '0.0.0.0/0' },
  { user: '101' },
  { user: 'alice', country: 'NL' },
  { country: 'NL' },
  { country: 'US', kinds: ['block'] },
  { country: 'FR' },
  { reason: 'scanner' },
  { userAgent: 'scanner' },
  { userAgent: 'YEALINK', kinds: ['block', 'unblock'] },
  { userAgent: 'nobody' },
  { actor: 'cli' },
  { since: 1050, until: 1100.25 },
  { kinds: ['settings'] },
  { country: 'DE', userAgent: 'sip', user: '103' },
];

interface Reader {
  history(q: HistoryQuery): Promise<{ events: HistoryEvent[]; next: { at: number; id: number } | null }>;
}

/** Every query, every page followed through `next`, at two page and scan sizes. */
async function historyAnswers(s: Reader): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const q of QUERIES) {
    for (const [limit, scan] of [
      [7, 40],
      [50, 20_000],
    ] as const) {
      const pages: unknown[] = [];
      let before: { at: number; id: number } | undefined;
      for (let i = 0; i < 500; i++) {
        const p = await s.history({ ...q, limit, scan, ...(before ? { before } : {}) });
        pages.push(p);
        if (!p.next) break;
        before = p.next;
      }
      out.push(pages);
    }
  }
  return out;
}

/** What every other reader answers. */
async function storeAnswers(s: SqliteStore): Promise<unknown> {
  const range = { from: 0, to: 1e10 };
  return {
    history: await historyAnswers(s),
    decisions: await s.decisions(range),
    decisionsLimited: await s.decisions({ ...range, limit: 5 }),
    decisionsByIp: await s.decisions({ ...range, ip: '192.0.2.77' }),
    attacks: await s.attacks(range),
    summary: await s.attackSummary({ ...range, top: 5, bucketSeconds: 60 }),
    blocks: await s.listBlocks(),
    inForce: await s.listBlocks({ activeAt: 1100 }),
    inForceKeys: (await s.blocksInForce(1100)).sort((a, b) => (a.ip < b.ip ? -1 : 1)),
    one: await s.getBlock('192.0.2.77'),
    pages: await Promise.all(
      (['blockedAt', 'ip', 'expiresAt', 'attempts'] as const).map((key) =>
        s.pageBlocks({ activeAt: 1100, sort: { key, dir: 'desc' }, limit: 500, count: true }),
      ),
    ),
    counts: await s.blockCounts(1100),
    timesBlocked: [...(await s.allTimesBlocked())].sort(),
  };
}

/** Every row of the history tables, in id order (nothing lost, nothing changed). */
function historyRows(db: Database.Database): unknown {
  return {
    history: db.prepare('SELECT * FROM history ORDER BY id').all(),
    users: db.prepare('SELECT * FROM history_users ORDER BY event, user').all(),
    agents: db.prepare('SELECT * FROM history_agents ORDER BY agent').all(),
  };
}

/** The store at whatever schema the file has (the constructor does not migrate). */
function storeOn(db: Database.Database, file: string): SqliteStore {
  const Ctor = SqliteStore as unknown as new (db: Database.Database, file: string) => SqliteStore;
  return new Ctor(db, file);
}

/** Writes a batch the way the version-5 store did: REPLACE of a block, core's subjectKey. */
function commitAsBefore(db: Database.Database, b: StoreBatch): void {
  const put = db.prepare(`INSERT OR REPLACE INTO blocks (${BLOCKS.columns}) VALUES (${BLOCKS.marks})`);
  const del = db.prepare('DELETE FROM blocks WHERE ip = ?');
  const count = db.prepare(
    `INSERT INTO ip_stats (ip, times_blocked, last_blocked_at) VALUES (?, 1, ?)
     ON CONFLICT (ip) DO UPDATE SET times_blocked = times_blocked + 1, last_blocked_at = excluded.last_blocked_at`,
  );
  const dec = db.prepare(`INSERT INTO decisions (${DECISIONS.columns}) VALUES (${DECISIONS.marks})`);
  const att = db.prepare(`INSERT INTO attacks (${ATTACKS.columns}) VALUES (${ATTACKS.marks})`);
  const hist = db.prepare(
    `INSERT INTO history (${NEW_HISTORY.columns}, subject_key) VALUES (${NEW_HISTORY.marks}, ?)`,
  );
  const user = db.prepare('INSERT OR IGNORE INTO history_users (user, at, event) VALUES (?, ?, ?)');
  const agent = db.prepare('INSERT OR IGNORE INTO history_agents (agent) VALUES (?)');
  db.transaction(() => {
    for (const r of b.blocks ?? []) put.run(BLOCKS.values(r));
    for (const ip of b.deleteBlocks ?? []) del.run(ip);
    for (const i of b.incrementTimesBlocked ?? []) count.run(i.ip, i.at);
    for (const d of b.decisions ?? []) dec.run(DECISIONS.values(d));
    for (const a of b.attacks ?? []) att.run(ATTACKS.values(a));
    for (const e of b.history ?? []) {
      const id = Number(hist.run([...NEW_HISTORY.values(e), subjectKey(e.subject)]).lastInsertRowid);
      for (const u of e.users) user.run(u, e.at, id);
      if (e.userAgent !== null) agent.run(e.userAgent);
    }
  }).immediate();
}

/** Batches as the enforcer makes them: blocks, renewals of running ones, lifts, rows. */
function batches(): StoreBatch[] {
  const evs = events(240);
  const out: StoreBatch[] = [];
  for (let k = 0; k < 12; k++) {
    const at = 1000 + k * 10.5;
    const blocks: BlockRecord[] = [];
    for (let j = 0; j < 8; j++) {
      const ip = `192.0.2.${(k * 5 + j * 3) % 90}`; // later batches renew earlier addresses
      blocks.push(
        aBlock(ip, {
          reason: k % 2 ? 'scanner' : 'auth-failures',
          userAgent: AGENTS[k % 5]!,
          note: `batch ${k}`,
          blockedAt: at,
          lastSeen: at + j,
          expiresAt: j === 7 ? null : at + 60 + j,
        }),
      );
    }
    blocks.push(aBlock('192.0.2.77', { lastSeen: at, expiresAt: at + 600, attempts: k }));
    out.push({
      blocks,
      deleteBlocks: k % 3 === 2 ? [`192.0.2.${k}`] : [],
      incrementTimesBlocked: blocks.map((b) => ({ ip: b.ip, at })),
      decisions: blocks.map((b, j) =>
        aDecision(b.ip, at, { action: j === 7 ? 'permanent' : 'block', country: COUNTRIES[j % 5]! }),
      ),
      attacks: blocks.map((b, j) => anAttack(b.ip, at + j / 8, { userAgent: AGENTS[j % 5]! })),
      history: evs.slice(k * 20, k * 20 + 20),
    });
  }
  return out;
}

test('migration 6 keeps every row, and every reader answers as at version 5', async () => {
  const old = openDatabase(dir);
  migrate(old.db, old.file, 5);
  assert.equal(schemaVersion(old.db), 5);
  for (const b of batches()) commitAsBefore(old.db, b);
  const v5 = storeOn(old.db, old.file);
  const before = await storeAnswers(v5);
  const rowsBefore = historyRows(old.db);
  await v5.close();

  const s = SqliteStore.open(dir);
  try {
    const now = openDatabase(dir);
    assert.equal(schemaVersion(now.db), SCHEMA_VERSION);
    assert.deepEqual(historyRows(now.db), rowsBefore, 'every history row kept as it was');
    const partial = now.db
      .prepare("SELECT name, sql FROM sqlite_master WHERE name IN ('history_country', 'history_agent')")
      .all() as Array<{ sql: string }>;
    assert.equal(partial.length, 2);
    for (const p of partial) assert.match(p.sql, /WHERE \w+ IS NOT NULL/);
    now.db.close();
    assert.deepEqual(await storeAnswers(s), before);
    // Pruning still runs its statements (the agents' clean-up walks the partial index).
    const pruned = await s.prune({ historyBefore: 1040, now: 1040 });
    assert.ok(pruned.history > 0 && pruned.decisions > 0);
    const left = (await s.history({ limit: 1000 })).events;
    assert.ok(left.every((e) => e.at >= 1040));
  } finally {
    await s.close();
  }
});

test('the same commits written the version-5 way and by the store leave the same rows and answers', async () => {
  const a = join(dir, 'a');
  const b = join(dir, 'b');
  const oldWay = SqliteStore.open(a);
  await oldWay.close();
  const raw = openDatabase(a);
  for (const batch of batches()) commitAsBefore(raw.db, batch);
  raw.db.close();
  const store = SqliteStore.open(b);
  for (const batch of batches()) await store.commit(batch);
  await store.close();

  const [sa, sb] = [SqliteStore.open(a), SqliteStore.open(b)];
  try {
    assert.deepEqual(await storeAnswers(sb), await storeAnswers(sa));
    const dbs = [openDatabase(a).db, openDatabase(b).db];
    try {
      const [ra, rb] = dbs.map((db) => ({
        ...(historyRows(db) as object),
        blocks: db.prepare('SELECT * FROM blocks ORDER BY ip').all(),
        ipStats: db.prepare('SELECT * FROM ip_stats ORDER BY ip').all(),
        decisions: db.prepare('SELECT * FROM decisions ORDER BY id').all(),
        attacks: db.prepare('SELECT * FROM attacks ORDER BY id').all(),
      }));
      assert.deepEqual(rb, ra);
    } finally {
      for (const db of dbs) db.close();
    }
  } finally {
    await Promise.all([sa.close(), sb.close()]);
  }
});
