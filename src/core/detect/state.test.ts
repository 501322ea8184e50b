import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { canonicalV4Number as ipv4Number } from '../net/ip.js';
import { mulberry32 } from '../prng.testkit.js';
import { IpTable, off, SWEEP_STEP } from './state.js';
import { strHash } from './state-keys.js';
import {
  addProbe,
  addUser,
  hasUser,
  pushDialog,
  removeProbe,
  takeDialog,
  usersOf,
  withPair,
} from './state-lists.js';
import { newRing, ringFull, ringIntervals, ringPush, within } from './window.js';

/** The table as it was: two Maps rotated by generations (the model the columns must equal). */
class MapModel {
  cur = new Map<string, { failTotal: number }>();
  prev = new Map<string, { failTotal: number }>();
  genStart = Number.NEGATIVE_INFINITY;
  constructor(readonly period: number) {}
  get size(): number {
    return this.cur.size + this.prev.size;
  }
  get(k: string): { failTotal: number } | undefined {
    const s = this.cur.get(k);
    if (s !== undefined) return s;
    const old = this.prev.get(k);
    if (old !== undefined) {
      this.prev.delete(k);
      this.cur.set(k, old);
    }
    return old;
  }
  getOrCreate(k: string): { failTotal: number } {
    let s = this.get(k);
    if (s === undefined) {
      s = { failTotal: 0 };
      this.cur.set(k, s);
    }
    return s;
  }
  delete(k: string): void {
    this.cur.delete(k);
    this.prev.delete(k);
  }
  rotate(now: number): void {
    if (now < this.genStart + this.period) return;
    this.prev = this.cur;
    this.cur = new Map();
    this.genStart = now;
  }
}

/** A source's failTotal (its slot read once). */
const fails = (t: IpTable, s: number) => t.cols(s).failTotal[off(s)]!;
const setFails = (t: IpTable, s: number, v: number) => {
  t.cols(s).failTotal[off(s)] = v;
};

const dotted = (n: number) => `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;

/** Two different strings with the same 30-bit hash (found by brute force, ~2^15 tries). */
function hashTwins(): [string, string] {
  const seen = new Map<number, string>();
  for (let i = 0; ; i++) {
    const s = `2001:db8:${i.toString(16)}::/64`;
    const h = strHash(s);
    const other = seen.get(h);
    if (other !== undefined) return [other, s];
    seen.set(h, s);
  }
}

describe('IpTable (typed-array source state)', () => {
  test('IPv4 keys are numbers only in canonical form; anything else stays a string key', () => {
    assert.equal(ipv4Number('10.0.0.1'), 0x0a000001);
    assert.equal(ipv4Number('255.255.255.255'), 0xffffffff);
    assert.equal(ipv4Number('0.0.0.0'), 0);
    for (const bad of [
      '010.0.0.1',
      '10.0.0',
      '10.0.0.1.',
      '256.0.0.1',
      '1.2.3.4/24',
      '::1',
      '1..2.3',
      'a.b.c.d',
    ]) {
      assert.equal(ipv4Number(bad), -1, bad);
    }
    const t = new IpTable(60);
    const a = t.getOrCreate('10.0.0.1');
    const b = t.getOrCreate('010.0.0.1');
    assert.notEqual(a, b, 'a non-canonical spelling is another key, as it was in the Map');
    t.cols(a).failTotal[off(a)] = 7;
    assert.equal(fails(t, t.get('10.0.0.1')), 7);
    assert.equal(fails(t, t.get('010.0.0.1')), 0);
  });

  test('string keys with the same hash, and a string whose hash equals an IPv4 number, stay apart', () => {
    const [x, y] = hashTwins();
    assert.equal(strHash(x), strHash(y));
    const v4 = dotted(strHash(x));
    const t = new IpTable(60);
    const slots = [x, y, v4].map((k, i) => {
      const s = t.getOrCreate(k);
      t.cols(s).failTotal[off(s)] = i + 1;
      return s;
    });
    assert.equal(new Set(slots).size, 3);
    assert.deepEqual(
      [x, y, v4].map((k) => fails(t, t.get(k))),
      [1, 2, 3],
    );
    t.delete(x);
    assert.equal(t.get(x), -1);
    assert.equal(fails(t, t.get(y)), 2, 'deleting one twin keeps the other findable');
    assert.equal(t.size, 2);
  });

  for (const [seed, step] of [
    [1, SWEEP_STEP],
    [2, SWEEP_STEP],
    [3, 1],
    [42, 2],
    [2026, 1],
    [7, Number.POSITIVE_INFINITY],
  ] as const) {
    test(`random insert/lookup/delete/rotate against the two-Map model (seed ${seed}, sweep step ${step})`, () => {
      // A step of 1 or 2 keeps each rotation's sweep going for hundreds of operations:
      // lookups, deletes and re-adds of dropped sources land on slots waiting for it.
      const rnd = mulberry32(seed);
      const period = 60;
      const t = new IpTable(period, 10, step);
      let midSweep = 0;
      const m = new MapModel(period);
      // Few enough keys to repeat, enough to grow past the first 1024 slots several times.
      const key = () => {
        const r = rnd();
        const i = Math.floor(rnd() * 6000);
        if (r < 0.7) return dotted(0x0a000000 + i);
        if (r < 0.95) return `2001:db8:${i.toString(16)}::/64`;
        return `0${i % 10}.0.0.${i % 200}`; // non-canonical: a string key
      };
      let now = 1_700_000_000;
      for (let op = 0; op < 60_000; op++) {
        const r = rnd();
        const k = key();
        if (r < 0.45) {
          const s = t.getOrCreate(k);
          const ms = m.getOrCreate(k);
          assert.equal(t.cols(s).failTotal[off(s)], ms.failTotal, `op ${op}: ${k}`);
          t.cols(s).failTotal[off(s)]!++;
          ms.failTotal++;
        } else if (r < 0.8) {
          const s = t.get(k);
          const ms = m.get(k);
          assert.equal(s >= 0, ms !== undefined, `op ${op}: ${k} present?`);
          if (ms !== undefined) assert.equal(t.cols(s).failTotal[off(s)], ms.failTotal);
        } else if (r < 0.95) {
          t.delete(k);
          m.delete(k);
        } else {
          now += rnd() * 40;
          t.rotate(now);
          m.rotate(now);
        }
        if (t.sweeping > 0) midSweep++;
        if (op % 1000 === 0) {
          assert.equal(t.size, m.size, `op ${op}: size`);
          assert.deepEqual(t.indexedSlots(), t.liveSlots(), `op ${op}: each used slot in one cell`);
        }
      }
      if (step <= 2) assert.ok(midSweep > 5000, `operations mid-sweep: ${midSweep}`);
      assert.equal(t.size, m.size);
      for (const [k, v] of [...m.cur, ...m.prev]) assert.equal(fails(t, t.get(k)), v.failTotal, k);
    });
  }

  for (const seed of [5, 17, 99, 1234]) {
    test(`the index doubles in steps: every live slot in exactly one cell, none lost (seed ${seed})`, () => {
      // Adds (IPv4 and string keys) and deletes through four doublings of the index, the
      // old table still being moved during most of them: after every operation the keys
      // present are found at their slot, the deleted ones are not, and every 61 operations
      // the cells of both tables hold each live slot exactly once (a cell moved without
      // its old copy made a tombstone, or a removal that missed the old table, shows as a
      // slot twice; a cell dropped in the move, as one missing).
      const rnd = mulberry32(seed);
      const t = new IpTable(1e9);
      const want = new Map<string, number>();
      const present: string[] = [];
      let migrated = 0;
      for (let op = 0; op < 24_000; op++) {
        if (present.length > 0 && rnd() < 0.3) {
          const j = Math.floor(rnd() * present.length);
          const k = present[j]!;
          present[j] = present[present.length - 1]!;
          present.pop();
          t.delete(k);
          want.delete(k);
          assert.equal(t.get(k), -1, `op ${op}: deleted ${k} is gone`);
        } else {
          const i = Math.floor(rnd() * 2 ** 31);
          const k = rnd() < 0.8 ? dotted(i) : `2001:db8:${i.toString(16)}::/64`;
          if (want.has(k)) continue;
          const s = t.getOrCreate(k);
          assert.equal(fails(t, s), 0, `op ${op}: ${k} starts empty`);
          setFails(t, s, op + 1);
          want.set(k, op + 1);
          present.push(k);
        }
        if (t.indexMigrating) migrated++;
        if (op % 61 === 0) assert.deepEqual(t.indexedSlots(), t.liveSlots(), `op ${op}: cells`);
        if (op % 997 === 0) for (const [k, v] of want) assert.equal(fails(t, t.get(k)), v, `op ${op}: ${k}`);
      }
      assert.ok(migrated > 1000, `the test ran while the index moved (${migrated} ops)`);
      assert.deepEqual(t.indexedSlots(), t.liveSlots());
      assert.equal(t.size, want.size);
      for (const [k, v] of want) assert.equal(fails(t, t.get(k)), v, k);
    });
  }

  test('slots past the first chunk are fresh and keep their values; freed ones are reused last-freed first', () => {
    const t = new IpTable(1e9);
    const slots: number[] = [];
    for (let i = 0; i < 10_000; i++) {
      const s = t.getOrCreate(dotted(0x0d000000 + i));
      assert.equal(s, i, 'slots are handed out in order');
      assert.equal(fails(t, s), 0);
      setFails(t, s, i + 1);
      slots.push(s);
    }
    for (let i = 0; i < 10_000; i++) assert.equal(fails(t, t.get(dotted(0x0d000000 + i))), i + 1);
    t.delete(dotted(0x0d000000 + 5000));
    t.delete(dotted(0x0d000000 + 7));
    assert.equal(t.getOrCreate('192.0.2.1'), 7, 'the last freed slot first');
    assert.equal(t.getOrCreate('192.0.2.2'), 5000);
    assert.equal(t.getOrCreate('192.0.2.3'), 10_000, 'then a new one');
    assert.equal(fails(t, 7), 0, 'a reused slot starts empty');
  });

  test("every column keeps its values through the table's growths", () => {
    // Values of source i in every column (distinct per column and source), checked for the
    // sources so far every 97 adds and for all at the end: a column left out of a growth (or
    // a fresh slot past the old length not starting empty) shows here.
    const t = new IpTable(3600, 3);
    const put = (s: number, i: number) => {
      const c = t.cols(s);
      const o = off(s);
      c.failTotal[off(s)] = i;
      c.freshFails[o] = i + 1;
      c.phoneUser[o] = i + 2;
      c.phoneCall[o] = i + 3;
      c.phoneCseq[o] = i + 0.5;
      c.phoneRun[o] = i + 4;
      c.hourIdx[o] = i + 5;
      c.hourCur[o] = i + 6;
      c.hourPrev[o] = i + 7;
      c.dayIdx[o] = i + 8;
      c.dayCur[o] = i + 9;
      c.dayPrev[o] = i + 10;
      c.dlgFlag[o] = i & 1;
      c.dlgHash[o] = i + 11;
      c.dlgCseq[o] = i + 0.25;
      c.user0[o] = `u${i}`;
      c.user1[o] = `v${i}`;
      for (let f = 0; f < i % 5; f++) t.failPush(s, 1000 + i + f); // 3 and 4: into a ring
    };
    const check = (i: number) => {
      const s = t.get(dotted(0x0c000000 + i));
      assert.ok(s >= 0, `source ${i}`);
      const c = t.cols(s);
      const o = off(s);
      const got = [
        c.failTotal[o],
        c.freshFails[o],
        c.phoneUser[o],
        c.phoneCall[o],
        c.phoneCseq[o],
        c.phoneRun[o],
        c.hourIdx[o],
        c.hourCur[o],
        c.hourPrev[o],
        c.dayIdx[o],
        c.dayCur[o],
        c.dayPrev[o],
        c.dlgFlag[o],
        c.dlgHash[o],
        c.dlgCseq[o],
        c.user0[o],
        c.user1[o],
        t.failsWithin(s, 1e9, 1e9),
      ];
      const want = [
        i,
        i + 1,
        i + 2,
        i + 3,
        i + 0.5,
        i + 4,
        i + 5,
        i + 6,
        i + 7,
        i + 8,
        i + 9,
        i + 10,
        i & 1,
        i + 11,
        i + 0.25,
        `u${i}`,
        `v${i}`,
        Math.min(i % 5, 3),
      ];
      assert.deepEqual(got, want, `source ${i}`);
    };
    const n = 20_000; // 1024 → 32768 slots: five growths
    for (let i = 0; i < n; i++) {
      const s = t.getOrCreate(dotted(0x0c000000 + i));
      assert.ok(
        t.cols(s).user0[off(s)] === null &&
          t.cols(s).user1[off(s)] === null &&
          t.cols(s).failTotal[off(s)] === 0,
        `fresh source ${i}`,
      );
      put(s, i);
      if (i % 97 === 0) for (let j = 0; j <= i; j += 1 + (j % 13)) check(j);
    }
    for (let i = 0; i < n; i++) check(i);
    assert.equal(t.size, n);
  });

  test('grows to 300k sources and drops idle ones two rotations later, freeing their slots', () => {
    const t = new IpTable(60);
    for (let i = 0; i < 300_000; i++) setFails(t, t.getOrCreate(dotted(0x0b000000 + i)), i);
    assert.equal(t.size, 300_000);
    for (let i = 0; i < 300_000; i += 7919) assert.equal(fails(t, t.get(dotted(0x0b000000 + i))), i);
    t.rotate(0);
    const touched = t.get(dotted(0x0b000000 + 5)); // touched: moves to the current generation
    setFails(t, touched, fails(t, touched) + 1);
    t.rotate(60);
    assert.equal(t.size, 1, 'only the touched source survives');
    assert.equal(fails(t, t.get(dotted(0x0b000000 + 5))), 6);
    const s = t.getOrCreate('192.0.2.1');
    assert.equal(t.cols(s).failTotal[off(s)], 0, 'a reused slot starts empty');
    assert.deepEqual(usersOf(t, s), []);
  });

  for (const n of [1, 2, 3, 10]) {
    test(`the failure ring equals window.ts's ring (HIT_COUNT ${n})`, () => {
      const rnd = mulberry32(n * 97);
      const t = new IpTable(60, n);
      for (let src = 0; src < 50; src++) {
        const s = t.getOrCreate(dotted(src));
        let ring = newRing(n);
        let head = 0;
        let at = 1000;
        for (let k = 0; k < 25; k++) {
          at += rnd() < 0.5 ? rnd() * 3 : rnd() * 30;
          t.failPush(s, at);
          head = ringPush(ring, head, at);
          const now = at + rnd() * 5;
          assert.equal(t.failFull(s, now, 60), ringFull(ring, head, now, 60), `src ${src} push ${k}`);
          let inside = 0;
          for (const x of ring) if (within(now, x, 60)) inside++;
          assert.equal(t.failsWithin(s, now, 60), inside);
          assert.deepEqual(t.failIntervals(s), ringIntervals(ring, head));
        }
        t.delete(dotted(src));
        ring = newRing(n);
      }
    });
  }

  test('users, dialogs and probes keep the order, caps and drops of the plain lists', () => {
    const rnd = mulberry32(7);
    for (const cap of [1, 2, 3, 16]) {
      const t = new IpTable(60);
      const s = t.getOrCreate('198.51.100.7');
      const model: string[] = [];
      let dialogs: number[] | null = null;
      let probes: number[] | null = null;
      for (let k = 0; k < 400; k++) {
        const u = `${100 + Math.floor(rnd() * 6)}`;
        addUser(t, s, u, cap);
        const i = model.indexOf(u);
        if (i !== 0) {
          if (i > 0) model.splice(i, 1);
          model.unshift(u);
          if (model.length > cap) model.pop();
        }
        assert.deepEqual(usersOf(t, s), model, `cap ${cap} step ${k}`);
        assert.equal(hasUser(t, s, '103'), model.includes('103'));

        const d = Math.floor(rnd() * 12);
        const cseq = Math.floor(rnd() * 5);
        let want = -1;
        if (dialogs !== null) {
          for (let j = 0; j < dialogs.length; j += 2) {
            if (dialogs[j] !== d) continue;
            want = cseq > dialogs[j + 1]! ? 1 : 0;
            dialogs.splice(j, 2);
            break;
          }
          if (dialogs.length === 0) dialogs = null;
        }
        assert.equal(takeDialog(t, s, d, cseq), want);
        if (rnd() < 0.6) {
          const nd = Math.floor(rnd() * 12);
          pushDialog(t, s, nd, cseq, 8);
          dialogs = withPair(dialogs, nd, cseq, 8);
        }

        const h = Math.floor(rnd() * 30);
        if (rnd() < 0.8) {
          const at = k * 2;
          let want2: number;
          if (probes === null) {
            probes = [h, at];
            want2 = 1;
          } else {
            const kept: number[] = [];
            let found = false;
            for (let j = 0; j < probes.length; j += 2) {
              if (!within(at, probes[j + 1]!, 60)) continue;
              kept.push(probes[j]!, probes[j] === h ? at : probes[j + 1]!);
              if (probes[j] === h) found = true;
            }
            if (!found) {
              if (kept.length >= 2 * 20) kept.splice(0, 2);
              kept.push(h, at);
            }
            probes = kept;
            want2 = kept.length / 2;
          }
          assert.equal(addProbe(t, s, h, at, 60, 20), want2);
        } else if (probes !== null) {
          removeProbe(t, s, h);
          const j = probes.findIndex((x, idx) => idx % 2 === 0 && x === h);
          if (j >= 0) probes.splice(j, 2);
        }
      }
    }
  });
});
