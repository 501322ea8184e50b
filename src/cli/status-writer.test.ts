/**
 * `sipprot status`'s store writer line (issue 13 target 1: memory bounded in a flood): what
 * waits for the writer thread, its budget and peak, whether it sheds rows now, and the rows
 * shed since start by kind; `--json` carries the same numbers. A daemon committing on the
 * event loop (no writer) prints no such line.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { StoreBacklog } from '../ports/admin.js';
import { reportWith, statusOf } from './status.testkit.js';

const MB = 1024 * 1024;

const status = (writer: StoreBacklog | null, ...flags: string[]) =>
  statusOf(reportWith({ writer }), ...flags);

test('status: the writer line while shedding, with the counts by kind', async () => {
  const w: StoreBacklog = {
    bytes: 70.25 * MB,
    peakBytes: 81.5 * MB,
    turns: 1234,
    budgetBytes: 64 * MB,
    shed: { history: 52000, attacks: 1500, decisions: 1500 },
    shedding: true,
  };
  assert.match(
    await status(w),
    /^store writer: 70\.3 MB in 1,234 turns waiting \(peak 81\.5 MB, budget 64\.0 MB\), SHEDDING rows until it catches up; rows shed since start: 55,000 \(history 52,000, attacks 1,500, decisions 1,500; blocks are never shed\)$/m,
  );
  assert.deepEqual(JSON.parse(await status(w, '--json')).live.writer, w);
});

test('status: a writer that kept up says so; no writer, no line', async () => {
  const w: StoreBacklog = {
    bytes: 0,
    peakBytes: 3 * MB,
    turns: 0,
    budgetBytes: 64 * MB,
    shed: { history: 0, attacks: 0, decisions: 0 },
    shedding: false,
  };
  assert.match(
    await status(w),
    /^store writer: 0\.0 MB in 0 turns waiting \(peak 3\.0 MB, budget 64\.0 MB\); rows shed since start: none$/m,
  );
  assert.doesNotMatch(await status(null), /store writer/);
});
