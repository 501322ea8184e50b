/**
 * `sipprot status`'s capture thread line: the nice the capture thread has, and, when the
 * kernel refused the −10 it asks for (no CAP_SYS_NICE, no LimitNICE), what it wanted, why,
 * and what to give the service; `--json` carries the same figures. A daemon without
 * capture (HEP only) prints no such line.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Admin, LiveStats, StatusReport } from '../ports/admin.js';
import { runCli } from './program.js';

type Priority = NonNullable<NonNullable<LiveStats['capture']>['priority']>;

function report(priority: Priority | null, capture = true): StatusReport {
  const live: LiveStats = {
    capture: capture ? { received: 10, dropped: 0, ifDropped: 0, ringDrops: 0, priority } : null,
    hepReceived: null,
    hepErrors: null,
    sipMessages: 10,
    drops: null,
    loopLag: null,
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

async function status(r: StatusReport, ...flags: string[]): Promise<string> {
  let out = '';
  const admin = { status: async () => r } as unknown as Admin;
  await runCli(['status', ...flags], {
    io: { out: (s) => (out += s), err: () => undefined },
    admin: async () => admin,
  });
  return out;
}

test('status: a refused priority says the nice the thread has, what it wanted, why, and the fix', async () => {
  const p = { nice: 0, wanted: -10, error: 'Permission denied' };
  assert.match(
    await status(report(p)),
    /^capture thread at nice 0 \(wanted -10: permission denied\); give sipprotd CAP_SYS_NICE or LimitNICE=30$/m,
  );
  assert.deepEqual(JSON.parse(await status(report(p), '--json')).live.capture.priority, p);
});

test('status: a granted priority is one short line; no capture, no line', async () => {
  assert.match(await status(report({ nice: -10, wanted: -10, error: null })), /^capture thread: nice -10$/m);
  assert.doesNotMatch(await status(report(null, false)), /capture thread/);
  assert.doesNotMatch(await status(report(null)), /capture thread/, 'not known yet: nothing said');
});
