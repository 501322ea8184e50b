import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { GeoRange } from './csv.js';
import { flatten } from './flatten.js';

const r = (start: number, end: number, country: string): GeoRange => ({
  start: BigInt(start),
  end: BigInt(end),
  country,
});

/** Per address: the smallest containing range, later row on a tie; then runs. */
function naive(ranges: GeoRange[], universe: number): GeoRange[] {
  const owner: Array<string | null> = [];
  for (let a = 0; a < universe; a++) {
    let best = -1;
    ranges.forEach((x, i) => {
      if (x.start > BigInt(a) || x.end < BigInt(a)) return;
      const b = ranges[best];
      if (!b || x.end - x.start <= b.end - b.start) best = i;
    });
    owner.push(best < 0 ? null : (ranges[best] as GeoRange).country);
  }
  const out: GeoRange[] = [];
  owner.forEach((c, a) => {
    if (c === null) return;
    const last = out[out.length - 1];
    if (last && last.country === c && last.end === BigInt(a - 1)) last.end = BigInt(a);
    else out.push(r(a, a, c));
  });
  return out;
}

/** Deterministic PRNG so a failure can be replayed from its seed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CODES = ['US', 'DE', 'FR', 'JP', 'BR'];

function randomNested(rand: () => number, universe: number): GeoRange[] {
  const out: GeoRange[] = [];
  const n = 1 + Math.floor(rand() * 25);
  for (let i = 0; i < n; i++) {
    const parent = out.length > 0 && rand() < 0.6 ? out[Math.floor(rand() * out.length)] : undefined;
    let lo: number;
    let hi: number;
    if (parent) {
      // Nested inside an earlier range (the upstream shape), sometimes poking out of it.
      const ps = Number(parent.start);
      const pe = Number(parent.end);
      lo = ps + Math.floor(rand() * (pe - ps + 1));
      hi = lo + Math.floor(rand() * (pe - lo + 1));
      if (rand() < 0.15) hi = Math.min(universe - 1, hi + Math.floor(rand() * 20));
    } else {
      lo = Math.floor(rand() * universe);
      hi = Math.min(universe - 1, lo + Math.floor(rand() * universe * 0.5));
    }
    out.push(r(lo, hi, CODES[Math.floor(rand() * CODES.length)] as string));
  }
  // Shuffle some inputs: flatten must not rely on the file being sorted.
  if (rand() < 0.5) out.sort(() => rand() - 0.5);
  return out;
}

describe('flatten', () => {
  it('gives the most specific range: the upstream DE /23 around one BE address', () => {
    // 2.58.196.0-2.58.197.255 DE, 2.58.197.15 BE, 2.58.197.16-2.58.197.255 DE (as upstream ships it)
    const base = 2 * 2 ** 24 + 58 * 2 ** 16;
    const got = flatten([
      r(base + 196 * 256, base + 197 * 256 + 255, 'DE'),
      r(base + 197 * 256 + 15, base + 197 * 256 + 15, 'BE'),
      r(base + 197 * 256 + 16, base + 197 * 256 + 255, 'DE'),
    ]);
    assert.deepEqual(got, [
      r(base + 196 * 256, base + 197 * 256 + 14, 'DE'),
      r(base + 197 * 256 + 15, base + 197 * 256 + 15, 'BE'),
      r(base + 197 * 256 + 16, base + 197 * 256 + 255, 'DE'),
    ]);
  });

  it('resolves deep nesting and merges adjacent ranges of one country', () => {
    const got = flatten([r(0, 99, 'US'), r(10, 49, 'DE'), r(20, 29, 'FR'), r(25, 25, 'US'), r(50, 59, 'US')]);
    assert.deepEqual(got, [
      r(0, 9, 'US'),
      r(10, 19, 'DE'),
      r(20, 24, 'FR'),
      r(25, 25, 'US'),
      r(26, 29, 'FR'),
      r(30, 49, 'DE'),
      r(50, 99, 'US'),
    ]);
  });

  it('decides partial overlaps by size, equal sizes by the later row', () => {
    assert.deepEqual(flatten([r(0, 9, 'US'), r(5, 24, 'DE')]), [r(0, 9, 'US'), r(10, 24, 'DE')]);
    assert.deepEqual(flatten([r(0, 9, 'US'), r(5, 14, 'DE')]), [r(0, 4, 'US'), r(5, 14, 'DE')]);
    assert.deepEqual(flatten([r(5, 14, 'DE'), r(0, 9, 'US')]), [r(0, 9, 'US'), r(10, 14, 'DE')]);
  });

  it('keeps gaps and handles empty input and the top of the address space', () => {
    assert.deepEqual(flatten([]), []);
    assert.deepEqual(flatten([r(0, 3, 'US'), r(8, 9, 'US')]), [r(0, 3, 'US'), r(8, 9, 'US')]);
    const top = 2 ** 32 - 1;
    assert.deepEqual(flatten([r(0, top, 'US'), r(top, top, 'DE')]), [r(0, top - 1, 'US'), r(top, top, 'DE')]);
    const max6 = (1n << 128n) - 1n;
    assert.deepEqual(
      flatten([
        { start: 0n, end: max6, country: 'JP' },
        { start: 1n, end: 1n, country: 'DE' },
      ]),
      [
        { start: 0n, end: 0n, country: 'JP' },
        { start: 1n, end: 1n, country: 'DE' },
        { start: 2n, end: max6, country: 'JP' },
      ],
    );
  });

  it('matches a naive per-address reference on 500 random nested tables', () => {
    const universe = 300;
    for (let seed = 1; seed <= 500; seed++) {
      const input = randomNested(rng(seed), universe);
      const copy = input.map((x) => ({ ...x }));
      assert.deepEqual(flatten(input), naive(input, universe), `seed ${seed}`);
      assert.deepEqual(input, copy, 'flatten must not modify its input');
    }
  });
});
