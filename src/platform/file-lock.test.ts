/**
 * The file lock: stale locks are judged by their owner's liveness (a dead PID, no PID at
 * all, our own leftover), a live owner is waited for without blocking the event loop,
 * and concurrent writers in one process and in several processes never lose a change.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { withFileLock } from './file-lock.js';

let root: string;
before(() => {
  root = mkdtempSync(join(tmpdir(), 'sipprot-lock-'));
});
after(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
const freshFile = () => join(root, `f${n++}.list`);
const OPTS = { code: 'SP_ERR_LIST_IO', waitMs: 400 } as const;
const deadPid = () =>
  Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout);

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t0 = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - t0 };
}

describe('withFileLock', () => {
  it('runs the function under the lock and removes the lock after, also when it throws', async () => {
    const file = freshFile();
    const seen = await withFileLock(file, async () => readFileSync(`${file}.lock`, 'utf8'), OPTS);
    assert.equal(seen.trim(), String(process.pid));
    assert.ok(!existsSync(`${file}.lock`));
    await assert.rejects(
      withFileLock(file, async () => Promise.reject(new Error('boom')), OPTS),
      /boom/,
    );
    assert.ok(!existsSync(`${file}.lock`));
    assert.deepEqual(
      readdirSync(root).filter((f) => f.includes('.lock')),
      [],
      'no temp or aside files left',
    );
  });

  for (const [what, content] of [
    ['an empty leftover (crash between create and write)', ''],
    ['a lock of a process that is gone', () => String(deadPid())],
    ['garbage instead of a PID', 'not a pid\n'],
    ['our own PID (left by this process)', () => String(process.pid)],
  ] as const) {
    it(`takes over ${what} at once`, async () => {
      const file = freshFile();
      writeFileSync(`${file}.lock`, typeof content === 'function' ? content() : content);
      const { value, ms } = await timed(() => withFileLock(file, async () => 'ran', OPTS));
      assert.equal(value, 'ran');
      assert.ok(ms < OPTS.waitMs, `took ${ms.toFixed(0)} ms: it waited for a stale lock`);
      assert.ok(!existsSync(`${file}.lock`));
    });
  }

  it('waits for a live owner without blocking the event loop, then runs', async () => {
    const file = freshFile();
    // The parent of the test process is alive and is not us: a live owner.
    writeFileSync(`${file}.lock`, String(process.ppid));
    setTimeout(() => rmSync(`${file}.lock`), 150);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    try {
      const { value, ms } = await timed(() =>
        withFileLock(file, async () => 'ran', { ...OPTS, waitMs: 2000 }),
      );
      assert.equal(value, 'ran');
      assert.ok(ms >= 140, `ran after ${ms.toFixed(0)} ms, before the owner let go`);
    } finally {
      clearInterval(timer);
    }
    assert.ok(ticks >= 5, `the event loop ran only ${ticks} timer ticks while waiting`);
  });

  it('gives up after waitMs on a live owner, naming its PID; the lock stays', async () => {
    const file = freshFile();
    writeFileSync(`${file}.lock`, String(process.ppid));
    await assert.rejects(
      withFileLock(file, async () => 'ran', OPTS),
      {
        code: 'SP_ERR_LIST_IO',
        message: new RegExp(`being changed by process ${process.ppid}; try again`),
      },
    );
    assert.equal(readFileSync(`${file}.lock`, 'utf8'), String(process.ppid));
  });

  it('takes over a live PID when the lock is older than staleMs (the PID was reused)', async () => {
    const file = freshFile();
    writeFileSync(`${file}.lock`, String(process.ppid));
    const old = new Date(Date.now() - 60_000);
    utimesSync(`${file}.lock`, old, old);
    assert.equal(await withFileLock(file, async () => 'ran', OPTS), 'ran');
  });

  it('serialises writers of one process: 50 concurrent read-modify-writes lose nothing', async () => {
    const file = freshFile();
    await writeFile(file, '0');
    await Promise.all(
      Array.from({ length: 50 }, () =>
        withFileLock(
          file,
          async () => {
            const v = Number(await readFile(file, 'utf8'));
            await new Promise((r) => setImmediate(r));
            await writeFile(file, String(v + 1));
          },
          OPTS,
        ),
      ),
    );
    assert.equal(readFileSync(file, 'utf8'), '50');
  });

  it('serialises writers of several processes: 3 × 40 read-modify-writes lose nothing', async () => {
    const file = freshFile();
    await writeFile(file, '0');
    const script = `
      import { readFile, writeFile } from 'node:fs/promises';
      import { withFileLock } from ${JSON.stringify(join(import.meta.dirname, 'file-lock.ts'))};
      const file = ${JSON.stringify(file)};
      for (let i = 0; i < 40; i++) {
        await withFileLock(file, async () => {
          const v = Number(await readFile(file, 'utf8'));
          await writeFile(file, String(v + 1));
        }, { code: 'SP_ERR_LIST_IO', waitMs: 20000 });
      }
    `;
    const children = Array.from({ length: 3 }, () =>
      spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        stdio: ['ignore', 'ignore', 'inherit'],
        cwd: join(import.meta.dirname, '..', '..'),
      }),
    );
    const codes = await Promise.all(children.map((c) => new Promise((r) => c.once('exit', r))));
    assert.deepEqual(codes, [0, 0, 0]);
    assert.equal(readFileSync(file, 'utf8'), '120');
  });
});
