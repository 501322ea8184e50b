/**
 * Crash safety of the state store: a writer process is killed with SIGKILL in the middle
 * of its work, and the database must hold every batch the writer saw committed, no part
 * of any batch that was not, and pass SQLite's integrity check.
 *
 * SIGKILL loses the process, not the kernel's page cache, so this proves atomicity and
 * "resolved means committed"; power-loss durability is what synchronous=FULL adds.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { SqliteStore } from '../src/store/sqlite-store.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const WRITER = join(ROOT, 'test', 'store-writer.testkit.ts');
const ROWS = 300;
const ROUNDS = 5;

interface Run {
  committed: number[];
  begun: number[];
}

/** Starts the writer, kills it (SIGKILL) on seeing `begin <killAt>`, returns what it reported. */
function runAndKill(dir: string, killAt: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', WRITER, dir, String(ROWS)], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const run: Run = { committed: [], begun: [] };
    let stderr = '';
    let killed = false;
    const guard = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`writer did not reach batch ${killAt} in time; stderr: ${stderr}`));
    }, 60_000);
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    createInterface({ input: child.stdout }).on('line', (line) => {
      const [word, num] = line.split(' ');
      const n = Number(num);
      if (word === 'committed') run.committed.push(n);
      if (word === 'begin') {
        run.begun.push(n);
        if (n === killAt && !killed) {
          killed = true;
          child.kill('SIGKILL');
        }
      }
    });
    // 'close', not 'exit': it fires only after every line the child wrote has been read.
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      if (signal !== 'SIGKILL') {
        reject(new Error(`writer ended by itself (code ${code}) before the kill; stderr: ${stderr}`));
        return;
      }
      resolve(run);
    });
  });
}

test('a writer killed with SIGKILL mid-transaction loses no committed batch and leaves no partial one', async (t) => {
  let interrupted = 0;
  for (let round = 1; round <= ROUNDS; round++) {
    const dir = mkdtempSync(join(tmpdir(), 'sipprot-crash-'));
    try {
      const killAt = 15 + Math.floor(Math.random() * 30);
      const run = await runAndKill(dir, killAt);
      const reported = new Set(run.committed);
      assert.ok(reported.size >= killAt - 1, `round ${round}: writer reported ${reported.size} commits`);

      let outcome = '';
      // What the kill left on disk: the WAL, and the database file the checkpoints wrote.
      const kb = (f: string) =>
        Math.round(statSync(join(dir, f), { throwIfNoEntry: false })?.size ?? 0) >> 10;
      const files = `database ${kb('sipprot.db')} KiB, WAL ${kb('sipprot.db-wal')} KiB`;
      const db = new Database(join(dir, 'sipprot.db'));
      try {
        assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
        const perBatch = (table: string) =>
          new Map(
            db
              .prepare<[], { n: number; c: number }>(
                `SELECT attempts AS n, COUNT(*) AS c FROM ${table} GROUP BY attempts`,
              )
              .all()
              .map((r) => [r.n, r.c]),
          );
        const decisions = perBatch('decisions');
        const attacks = perBatch('attacks');
        const history = perBatch('history');
        // Each event names the users `N` and `N-i`: the extension filter's rows, by batch.
        const users = new Map(
          db
            .prepare<[], { n: number; c: number }>(
              `SELECT CAST(user AS INTEGER) AS n, COUNT(*) AS c FROM history_users
               WHERE user NOT LIKE '%-%' GROUP BY user`,
            )
            .all()
            .map((r) => [r.n, r.c]),
        );
        const present = [...decisions.keys()].sort((a, b) => a - b);
        for (const n of reported) assert.ok(decisions.has(n), `round ${round}: committed batch ${n} lost`);
        // Batches are sequential, so what is present is 1..max, and at most the one batch
        // that was committed but not yet reported can be beyond what the writer printed.
        assert.deepEqual(
          present,
          present.map((_, i) => i + 1),
        );
        const maxReported = Math.max(...reported);
        assert.ok(present.length <= maxReported + 1, `round ${round}: ${present.length} batches present`);
        for (const n of present) {
          assert.equal(decisions.get(n), ROWS, `round ${round}: batch ${n} decisions partial`);
          assert.equal(attacks.get(n), ROWS, `round ${round}: batch ${n} attacks partial`);
          assert.equal(history.get(n), ROWS, `round ${round}: batch ${n} history partial`);
          assert.equal(users.get(n), ROWS, `round ${round}: batch ${n} history users partial`);
        }
        assert.deepEqual(
          [...history.keys()].sort((a, b) => a - b),
          present,
        );
        // Every user row points at its own event (the event ids the inserts assigned).
        const orphans = db
          .prepare<[], { c: number }>(
            `SELECT COUNT(*) AS c FROM history_users u LEFT JOIN history h ON h.id = u.event
             WHERE h.id IS NULL OR h.at <> u.at OR CAST(u.user AS INTEGER) <> h.attempts`,
          )
          .get();
        assert.equal(orphans?.c, 0, `round ${round}: history users not matching their events`);
        assert.deepEqual(
          [...attacks.keys()].sort((a, b) => a - b),
          present,
        );
        const blocks = db
          .prepare<[], { c: number }>("SELECT COUNT(*) AS c FROM blocks WHERE ip LIKE 'batch-%'")
          .get();
        assert.equal(blocks?.c, present.length);
        const counter = db
          .prepare<[], { t: number }>("SELECT times_blocked AS t FROM ip_stats WHERE ip = 'counter'")
          .get();
        assert.equal(counter?.t, present.length);
        // The last batch begun when the kill landed: checked above to be all or nothing;
        // absent means the kill interrupted its transaction.
        const lastBegun = Math.max(...run.begun);
        assert.ok(lastBegun >= killAt);
        if (!decisions.has(lastBegun)) interrupted++;
        outcome =
          `${decisions.size} present, last begun batch ${lastBegun} ` +
          (decisions.has(lastBegun) ? 'committed' : 'rolled back');
      } finally {
        db.close();
      }

      // The store itself opens the crashed database and keeps working on it.
      const store = SqliteStore.open(dir);
      try {
        await store.check();
        const first = await store.decisions({ from: 1_700_000_001, to: 1_700_000_002 });
        assert.equal(first.length, ROWS);
      } finally {
        await store.close();
      }
      t.diagnostic(
        `round ${round}: kill sent at begin ${killAt}, ${reported.size} reported, ${outcome}; ${files}`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  // Proof that the kills landed inside transactions, not only between them.
  assert.ok(interrupted >= 1, `no round killed the writer inside a transaction (${ROUNDS} rounds)`);
});
