/**
 * `sipprot status`'s capture thread line: the nice the capture thread has, and, when the
 * kernel refused the −10 it asks for (no CAP_SYS_NICE, no LimitNICE), what it wanted, why,
 * and what to give the service; `--json` carries the same figures. A daemon without
 * capture (HEP only) prints no such line.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LiveStats } from '../ports/admin.js';
import { reportWith, statusOf as status } from './status.testkit.js';

type Priority = NonNullable<NonNullable<LiveStats['capture']>['priority']>;

function report(priority: Priority | null, capture = true) {
  return reportWith({
    capture: capture ? { received: 10, dropped: 0, ifDropped: 0, ringDrops: 0, priority } : null,
    sipMessages: 10,
  });
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
