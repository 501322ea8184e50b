/**
 * The codec changes no row (issue 13): the same turns committed the way the writer thread
 * did before (each turn's batch through v8.serialize / deserialize, several turns merged
 * into one transaction), through today's StoreWriter (staged by the codec, decoded and
 * merged on its thread), and the way a refused commit is retried (the staged bytes read
 * back on the event loop, merged, committed on the main connection) leave three fresh
 * databases with the same rows in every table, compared row by row.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { deserialize, serialize } from 'node:v8';
import { silentLogger } from '../ports/logger.js';
import type { StoreBatch } from '../ports/store.js';
import { openDatabase } from '../store/sqlite-open.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { StoreWriter } from './store-writer.js';
import { mergeBatches } from './store-writer-batches.js';
import { variedTurns } from './store-writer-codec.testkit.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sipprot-writer-rows-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const log = silentLogger;

/** Turns in the groups one commit carries (1 to 4: the turns that waited for a busy writer). */
function groups(turns: StoreBatch[]): StoreBatch[][] {
  const out: StoreBatch[][] = [];
  for (let i = 0, g = 1; i < turns.length; i += g, g = (g % 4) + 1) out.push(turns.slice(i, i + g));
  return out;
}

/** Every row of every table, each table in the order of all its columns. */
function everyRow(stateDir: string): Record<string, unknown[]> {
  const { db } = openDatabase(stateDir);
  try {
    const tables = (
      db
        .prepare(
          "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )
        .all() as Array<{
        name: string;
      }>
    ).map((t) => t.name);
    const out: Record<string, unknown[]> = {};
    for (const t of tables) {
      const cols = (db.prepare(`PRAGMA table_info("${t}")`).all() as Array<{ name: string }>).map(
        (c) => `"${c.name}"`,
      );
      out[t] = db.prepare(`SELECT * FROM "${t}" ORDER BY ${cols.join(', ')}`).all();
    }
    return out;
  } finally {
    db.close();
  }
}

test('the same turns leave the same rows in every table: v8 bytes before, the codec now, and its retry', async () => {
  const turns = variedTurns(20261205, 160, 16);
  const [before, now, retried] = ['before', 'now', 'retried'].map((d) => join(dir, d));

  const a = SqliteStore.open(before!);
  for (const g of groups(turns))
    await a.commit(mergeBatches(g.map((b) => deserialize(serialize(b)) as StoreBatch)));
  await a.close();

  const b = SqliteStore.open(now!);
  const writer = new StoreWriter(now!, b, log);
  const c = SqliteStore.open(retried!);
  for (const g of groups(turns)) {
    const staged = g.map((t) => writer.stage(t)!);
    assert.ok(
      staged.every((s) => s instanceof Uint8Array && s[0] !== 0xff),
      'staged by the codec',
    );
    await writer.commitStaged(staged);
    await c.commit(mergeBatches(staged.map((s) => writer.unstage(s))));
  }
  await writer.close();
  await b.close();
  await c.close();

  const rows = [before, now, retried].map((d) => everyRow(d!));
  const counts = Object.fromEntries(Object.entries(rows[0]!).map(([t, r]) => [t, r.length]));
  // The turns reach every table a commit writes.
  for (const t of [
    'blocks',
    'ip_stats',
    'decisions',
    'attacks',
    'history',
    'history_users',
    'history_agents',
  ])
    assert.ok((counts[t] ?? 0) >= 5, `${t}: ${counts[t]} rows`);
  assert.deepStrictEqual(rows[1], rows[0], 'the writer thread with the codec');
  assert.deepStrictEqual(rows[2], rows[0], 'the retry on the main connection');
});
