import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Reconciler } from './reconciler.js';

/** A run the test finishes by hand; `saw` is the state the run read when it started. */
function harness() {
  const runs: { why: string; alsoFor: readonly string[]; saw: number; finish(e?: Error): void }[] = [];
  let state = 0;
  const r = new Reconciler(
    (why, alsoFor) =>
      new Promise<void>((resolve, reject) => {
        runs.push({ why, alsoFor, saw: state, finish: (e) => (e ? reject(e) : resolve()) });
      }),
  );
  return { r, runs, set: (v: number) => (state = v) };
}
const tick = () => new Promise((res) => setImmediate(res));

describe('Reconciler', () => {
  it('a request during a run is served by a new run that sees the change (not the stale one)', async () => {
    const { r, runs, set } = harness();
    const first = r.request('kernel lost');
    set(1); // a reload changed the config after the first run read it
    let reloadDone = false;
    const reload = r.request('reload').then(() => {
      reloadDone = true;
    });
    runs[0]?.finish();
    await first;
    await tick();
    assert.equal(reloadDone, false, 'the reload must wait for a run that started after it');
    assert.equal(runs.length, 2);
    assert.equal(runs[1]?.why, 'reload');
    assert.equal(runs[1]?.saw, 1);
    runs[1]?.finish();
    await reload;
  });

  it('a burst of requests during a run costs one more run, naming every reason once', async () => {
    const { r, runs } = harness();
    void r.request('start');
    const waits = ['reload', 'geo-ip update', 'reload', 'list change'].map((w) => r.request(w));
    runs[0]?.finish();
    await tick();
    assert.equal(runs.length, 2);
    assert.deepEqual([runs[1]?.why, ...(runs[1]?.alsoFor ?? [])], ['reload', 'geo-ip update', 'list change']);
    runs[1]?.finish();
    await Promise.all(waits);
    assert.equal(runs.length, 2);
  });

  it('a failed run still lets the queued one run, and its failure reaches only its own callers', async () => {
    const { r, runs } = harness();
    const first = r.request('start');
    const second = r.request('reload');
    runs[0]?.finish(new Error('nft died'));
    await assert.rejects(first, /nft died/);
    await tick();
    assert.equal(runs.length, 2);
    runs[1]?.finish();
    await second;
  });

  it('when idle, a request starts at once', async () => {
    const { r, runs } = harness();
    const p = r.request('start');
    assert.equal(runs.length, 1);
    runs[0]?.finish();
    await p;
    const q = r.request('reload');
    assert.equal(runs.length, 2);
    runs[1]?.finish();
    await q;
  });
});
