/**
 * The lag attribution's arithmetic (bench/lag-attribution.ts) on hand-made timelines: a
 * late sample's time is split between the GC pauses, the callbacks and the wait for a core
 * inside it, and counted under its largest part.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { attribute, type LagTrace } from './lag-attribution.js';

function trace(t: Partial<LagTrace>): LagTrace {
  return {
    timeOrigin: 0,
    intervalMs: 10,
    schedstat: false,
    spansRecorded: true,
    samples: [],
    gcs: [],
    spans: [],
    labels: [],
    ...t,
  };
}

/** A sample due at `due`, fired `late` ms later, with `waitMs` of wait for a core between the readings. */
const sample = (due: number, late: number, waitMs = 0) => [due, due + late, 0, 0, 0, waitMs * 1e6, due - 1];

test('lag attribution: a scavenge inside a capture slice is counted as the scavenge, the rest as the slice', () => {
  const a = attribute(
    trace({
      samples: [sample(100, 8), sample(110, 1)],
      gcs: [[101, 6, 1]],
      spans: [[95, 108.5, 0]],
      labels: ['native'],
    }),
  );
  assert.equal(a.lateCount, 1);
  assert.ok(Math.abs(a.parts.get('scavenge')! - 6) < 1e-9);
  assert.ok(Math.abs(a.parts.get('capture slice')! - 2) < 1e-9);
  assert.equal(a.dominant.get('scavenge'), 1);
  // 8 ms less the 6 ms scavenge is under 5 ms: the scavenge alone would have cut it; the slice not.
  assert.equal(a.sufficient.get('scavenge'), 1);
  assert.equal(a.sufficient.get('capture slice'), undefined);
});

test('lag attribution: the wait for a core comes out of every part in proportion; time in no callback is uncovered', () => {
  const a = attribute(
    trace({
      schedstat: true,
      samples: [sample(200, 10, 6)],
      spans: [[199, 205, 0]],
      labels: ['timer () => tick()'],
    }),
  );
  assert.ok(Math.abs(a.parts.get('wait for a core')! - 6) < 1e-9);
  // 5 ms in the timer's callback and 5 uncovered, scaled to the 4 ms that were not waiting.
  assert.ok(Math.abs(a.parts.get('timer () => tick()')! - 2) < 1e-9);
  assert.ok(Math.abs(a.parts.get('uncovered')! - 2) < 1e-9);
  assert.equal(a.dominant.get('wait for a core'), 1);
});

test('lag attribution: samples at or under the threshold are not attributed', () => {
  const a = attribute(trace({ samples: [sample(0, 5), sample(10, 0.2)], gcs: [[1, 4, 2]] }));
  assert.equal(a.lateCount, 0);
  assert.equal(a.parts.size, 0);
});
