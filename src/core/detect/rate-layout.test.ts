import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mulberry32 } from '../prng.testkit.js';
import { RateTable } from './rate.js';
import { RateColumns } from './rate-columns.testkit.js';

/**
 * The rate table's slot as one 32-byte group (rate.ts) answers exactly as its eight
 * columns did (rate-columns.testkit.ts), request by request: flood and sweep results and
 * the peak. Many sources in 2^18 slots collide (the shared bits and the owner hashes
 * decide whether an exact count inherits the slot's), small limits put many slots under
 * exact counts, time steps roll the 5 s buckets over and skip some, and the targets vary
 * (sweeps, and the shared bits stored above the last target).
 */
function run(seed: number, sources: number, requests: number, floodLimit: number, sweepLimit: number): void {
  const rnd = mulberry32(seed);
  const a = new RateTable(floodLimit, sweepLimit, 60);
  const b = new RateColumns(floodLimit, sweepLimit, 60);
  let at = 1_700_000_000;
  let floods = 0;
  let sweeps = 0;
  for (let i = 0; i < requests; i++) {
    const r = rnd();
    at += r < 0.001 ? 7 + rnd() * 20 : rnd() * 0.02;
    // A few busy sources, many quiet ones.
    const k = rnd() < 0.3 ? Math.floor(rnd() * 50) : Math.floor(rnd() * sources);
    const key =
      k % 7 === 0 ? `2001:db8::${k.toString(16)}` : `198.${(k >> 16) & 255}.${(k >> 8) & 255}.${k & 255}`;
    const dst = rnd() < 0.9 ? '192.0.2.10' : `192.0.2.${Math.floor(rnd() * 40)}`;
    const dport = rnd() < 0.9 ? 5060 : 5060 + Math.floor(rnd() * 30);
    const sweepable = rnd() < 0.8;
    const x = a.request(key, dst, dport, at, sweepable);
    const y = b.request(key, dst, dport, at, sweepable);
    assert.deepEqual({ ...x }, { ...y }, `request ${i} from ${key}`);
    assert.equal(a.peak, b.peak, `peak at request ${i}`);
    if (x.flood > 0) floods++;
    if (x.sweep > 0) sweeps++;
    if (rnd() < 0.002) {
      a.forget(key);
      b.forget(key);
    }
  }
  assert.ok(floods > 0 && sweeps > 0, `the run reached both verdicts (${floods} floods, ${sweeps} sweeps)`);
}

test('rate table: the 32-byte slot answers as the eight columns did (colliding sources)', () => {
  run(1, 60_000, 200_000, 6, 3);
});

test('rate table: the same over several seeds and limits', () => {
  for (let seed = 2; seed <= 9; seed++)
    run(seed * 104729, 20_000 + seed * 5_000, 40_000, 2 + (seed % 5), 2 + (seed % 3));
});
