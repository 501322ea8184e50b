/**
 * `sipprot status`'s store writer line (issue 13 target 1: memory bounded in a flood): what
 * waits for the writer thread, its budget and peak, whether it sheds rows now, and the rows
 * shed since start by kind; `--json` carries the same numbers. A daemon committing on the
 * event loop (no writer) prints no such line.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Admin, LiveStats, StatusReport, StoreBacklog } from '../ports/admin.js';
import { runCli } from './program.js';

const MB = 1024 * 1024;

function report(writer: StoreBacklog | null): StatusReport {
  const live: LiveStats = {
    capture: null,
    hepReceived: null,
    hepErrors: null,
    sipMessages: 0,
    drops: null,
    loopLag: null,
    writer,
  };
  return {
    counts: { allow: 0, deny: 0, dynamicPermanent: 0, dynamicTemporary: 0 },
    daemon: { running: true, pid: 4242, startedAt: 1 },
    countries: { blocked: [], ranges: 0, database: null },
    mail: { configured: false, message: 'no mail' },
    configSource: null,
    cluster: null,
    live,
  };
}

async function status(writer: StoreBacklog | null, ...flags: string[]): Promise<string> {
  let out = '';
  const admin = { status: async () => report(writer) } as unknown as Admin;
  await runCli(['status', ...flags], {
    io: { out: (s) => (out += s), err: () => undefined },
    admin: async () => admin,
  });
  return out;
}

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
