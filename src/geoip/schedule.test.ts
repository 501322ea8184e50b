import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SipprotError } from '../core/errors.js';
import type { GeoDatabase, GeoUpdateOptions } from './database.js';
import { firstDelay, type GeoScheduleOutcome, scheduleGeoipUpdates } from './schedule.js';

/** A database stand-in whose update() succeeds or fails as the test says. */
function fakeDb(updatedAt: number | null, results: boolean[]) {
  const calls: GeoUpdateOptions[] = [];
  const db = {
    meta: { updatedAt },
    async update(opts: GeoUpdateOptions) {
      calls.push(opts);
      if (results.shift() === false) throw new SipprotError('SP_ERR_GEOIP', 'geo-IP update refused: test');
      return { meta: { source: 'x' }, previous: {}, warnings: [] };
    },
  };
  return { db: db as unknown as GeoDatabase, calls };
}

/** Timers under the test's control: fire() runs the pending one. */
function fakeTimers() {
  const pending: Array<{ fn: () => void; ms: number; id: number }> = [];
  let id = 0;
  return {
    pending,
    setTimer: (fn: () => void, ms: number) => {
      pending.push({ fn, ms, id: ++id });
      return id;
    },
    clearTimer: (h: unknown) => {
      const i = pending.findIndex((p) => p.id === h);
      if (i >= 0) pending.splice(i, 1);
    },
    async fire() {
      const t = pending.shift();
      assert.ok(t, 'a timer is pending');
      t.fn();
      await new Promise((r) => setImmediate(r));
    },
  };
}

describe('scheduleGeoipUpdates', () => {
  it('is off without a URL or with interval 0', () => {
    const { db } = fakeDb(null, []);
    const timers = fakeTimers();
    assert.equal(scheduleGeoipUpdates({ db, from: null, intervalSec: 86400, ...timers }).nextInSec, null);
    assert.equal(
      scheduleGeoipUpdates({ db, from: 'http://127.0.0.1/x', intervalSec: 0, ...timers }).nextInSec,
      null,
    );
    assert.equal(timers.pending.length, 0);
  });

  it('runs after the first delay, then every interval, retrying sooner after a failure', async () => {
    const { db, calls } = fakeDb(null, [true, false, true]);
    const timers = fakeTimers();
    const outcomes: GeoScheduleOutcome[] = [];
    const s = scheduleGeoipUpdates({
      db,
      from: 'http://127.0.0.1/v4.csv',
      intervalSec: 86400,
      retrySec: 600,
      update: { timeoutMs: 1234 },
      onResult: (o) => outcomes.push(o),
      now: () => 0,
      ...timers,
    });
    assert.equal(timers.pending[0]?.ms, 60_000);
    await timers.fire();
    assert.equal(outcomes[0]?.ok, true);
    assert.deepEqual(calls[0], { timeoutMs: 1234, from: ['http://127.0.0.1/v4.csv'] });
    assert.equal(timers.pending[0]?.ms, 86_400_000);
    await timers.fire();
    assert.equal(outcomes[1]?.ok, false);
    assert.match(outcomes[1]?.ok === false ? outcomes[1].error.message : '', /refused: test/);
    assert.equal(timers.pending[0]?.ms, 600_000);
    assert.equal(s.nextInSec, 600);
    s.stop();
    assert.equal(timers.pending.length, 0);
    assert.equal(s.nextInSec, null);
  });

  it('after a restart waits for the rest of the interval since the last update', () => {
    assert.equal(firstDelay(null, 86400, 1000, 60), 60);
    assert.equal(firstDelay(1000, 86400, 1000 + 3600, 60), 86400 - 3600);
    assert.equal(firstDelay(1000, 86400, 1000 + 90000, 60), 60);
    assert.equal(firstDelay(5000, 86400, 1000, 60), 86400); // clock went back
  });
});
