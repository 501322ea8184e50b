import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LiveEvent } from '../api/types.js';
import type { Logger } from '../ports/logger.js';
import { KernelGuard } from './kernel-guard.js';

const quiet = { error() {}, warn() {}, info() {}, debug() {}, child: () => quiet } as unknown as Logger;

function guard() {
  const events: LiveEvent[] = [];
  const rebuilds: Array<{ done(): void; fail(e: Error): void }> = [];
  const failures: unknown[] = [];
  const g = new KernelGuard({
    netns: '',
    log: quiet,
    emit: (e) => events.push(e),
    reconcile: () => new Promise<void>((resolve, reject) => rebuilds.push({ done: resolve, fail: reject })),
    failed: (e) => failures.push(e),
    clock: () => 1000,
  });
  return { g, events, rebuilds, failures };
}
const settle = () => new Promise((r) => setImmediate(r));

test('a loss noticed again while its rebuild runs is the same loss (one count, one alert, one rebuild)', async () => {
  const { g, events, rebuilds } = guard();
  g.noticed('the prerouting chain of inet sipprot lost its rules');
  g.noticed('the output chain of inet sipprot lost its rules');
  assert.equal(g.state.losses, 1);
  assert.equal(rebuilds.length, 1);
  assert.equal(events.filter((e) => e.type === 'protection').length, 1);
  rebuilds[0]?.done();
  await settle();
  assert.equal(g.state.inSync, true);
  g.noticed('table inet sipprot or its prerouting chain is gone');
  assert.equal(g.state.losses, 2, 'a loss after the rebuild landed is a new one');
  assert.equal(rebuilds.length, 2);
});

test('after a failed rebuild the next notice counts again (protection is never silently assumed back)', async () => {
  const { g, rebuilds, failures } = guard();
  g.noticed('gone');
  rebuilds[0]?.fail(new Error('nft: busy'));
  await settle();
  assert.equal(failures.length, 1);
  assert.equal(g.state.inSync, false);
  g.noticed('still gone');
  assert.equal(g.state.losses, 2);
  assert.equal(rebuilds.length, 2);
});
