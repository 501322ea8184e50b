import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mulberry32 } from '../prng.testkit.js';
import { aBlock } from '../records.testkit.js';
import { HeldBlocks } from './held.js';

/**
 * The held blocks against a Map<ip, {permanent, expiresAt}> (the structure they replaced):
 * membership, counts and the start order of blocks() and permanents(), through starts,
 * replacements (a block over a held one keeps its place, as Map.set), drops, permanents,
 * renewals and expiry, over IPv4 and other keys and many seeds.
 */
test('HeldBlocks holds, orders and lifts as a Map would', () => {
  for (let seed = 1; seed <= 40; seed++) {
    const rnd = mulberry32(seed);
    const stats = { blocks: 0, extends: 0, unblocks: 0 };
    const h = new HeldBlocks(600, stats);
    const model = new Map<string, { permanent: boolean; expiresAt: number | null }>();
    let at = 1000;
    const spread = seed % 3 === 0 ? 40 : 2000;
    for (let op = 0; op < 3000; op++) {
      at += rnd() * 2;
      const i = Math.floor(rnd() * spread);
      const ip = i % 5 === 0 ? `2001:db8::${i.toString(16)}` : `203.0.${i >> 8}.${i & 255}`;
      const r = rnd();
      const m = model.get(ip);
      if (r < 0.35) {
        if (m?.permanent) continue; // the policy never starts a block over a permanent one
        h.start(aBlock(ip, { blockedAt: at, lastSeen: at, expiresAt: at + 600 }), at);
        model.set(ip, { permanent: false, expiresAt: at + 600 });
      } else if (r < 0.42) {
        if (m?.permanent) continue;
        if (m === undefined) h.holdPermanent(aBlock(ip, { expiresAt: null }), at);
        else {
          h.drop(ip);
          h.holdPermanent(aBlock(ip, { expiresAt: null }), at);
          model.delete(ip);
        }
        model.set(ip, { permanent: true, expiresAt: null });
      } else if (r < 0.55) {
        assert.equal(h.drop(ip)?.ip, m === undefined ? undefined : ip);
        model.delete(ip);
      } else if (r < 0.8) {
        const renewed = h.renewIfHeld(ip, at, []);
        assert.equal(renewed !== null, m !== undefined, ip);
        if (m !== undefined && !m.permanent) m.expiresAt = at + 600;
      } else {
        for (const d of h.tick(at)) {
          assert.equal(d.action === 'unblock' || d.action === 'extend', true);
          if (d.action === 'unblock') {
            assert.ok(model.get(d.ip)!.expiresAt! <= at, `${d.ip} lifted when due`);
            model.delete(d.ip);
          }
        }
      }
      assert.equal(h.size, model.size);
      assert.equal(h.isBlocked(ip), model.has(ip), ip);
      assert.equal(
        h.expiryOf(ip),
        m === undefined && !model.has(ip) ? undefined : model.get(ip)?.expiresAt,
        ip,
      );
    }
    // Nothing left due unlifted: every block the model still holds is held, in start order.
    const order = [...model].filter(([, v]) => !v.permanent).map(([k]) => k);
    assert.deepEqual(
      [...h.blocks()].map((b) => b.ip),
      order,
      `seed ${seed}: dynamic blocks in start order`,
    );
    assert.deepEqual(
      [...h.permanents()].map((b) => b.ip),
      [...model].filter(([, v]) => v.permanent).map(([k]) => k),
      `seed ${seed}: permanents in start order`,
    );
    assert.equal(h.permanentCount, [...model.values()].filter((v) => v.permanent).length);
  }
});

/**
 * A held block keeps its times in its slot's doubles and the rest in a HeldRecord: the
 * record handed out is whole (every field, `host` when it had one, in the order records
 * have), with its times as they are now, for blocks past the first chunk of slots too, and
 * it is the reader's own (changing it changes nothing held).
 */
test('HeldBlocks hands out each block whole, with its times, as a record of the reader', () => {
  const h = new HeldBlocks(600, { blocks: 0, extends: 0, unblocks: 0 });
  const n = 9_000; // past two chunks of 4,096 slots
  const ipOf = (i: number) => (i % 7 === 0 ? `2001:db8::${i.toString(16)}` : `198.18.${i >> 8}.${i & 255}`);
  const made = new Map<string, ReturnType<typeof aBlock>>();
  for (let i = 0; i < n; i++) {
    const ip = ipOf(i);
    const r = aBlock(ip, {
      firstSeen: 100 + i / 8,
      lastSeen: 200 + i / 4,
      blockedAt: 300 + i / 2,
      expiresAt: i % 11 === 0 ? null : 900 + i,
      attempts: i,
      users: [`u${i}`],
      note: `note ${i}`,
      ...(i % 3 === 0 ? { host: `h${i % 5}` } : {}),
    });
    made.set(ip, structuredClone(r));
    if (r.expiresAt === null) h.holdPermanent(r, 300);
    else h.start(r, 300 + i / 2);
  }
  for (const [ip, r] of made) {
    const got = h.recordOf(ip)!;
    assert.deepEqual(got, r, ip);
    assert.deepEqual(Object.keys(got), Object.keys(r), `${ip}: fields in record order`);
  }
  // A renewal moves the expiry and last-seen time of what is handed out next; a permanent
  // block keeps its own.
  const ip = ipOf(5_001);
  h.renewIfHeld(ip, 6_000.5, []);
  assert.deepEqual(
    { lastSeen: h.recordOf(ip)!.lastSeen, expiresAt: h.recordOf(ip)!.expiresAt },
    { lastSeen: 6_000.5, expiresAt: 6_600.5 },
  );
  // The reader's own record: changing it leaves the held block as it was.
  const mine = h.recordOf(ip)!;
  mine.expiresAt = 1;
  mine.note = 'changed';
  assert.equal(h.recordOf(ip)!.expiresAt, 6_600.5);
  assert.equal(h.recordOf(ip)!.note, 'note 5001');
  assert.deepEqual(h.drop(ipOf(7))?.firstSeen, made.get(ipOf(7))!.firstSeen);
});

/**
 * counts() (a /metrics scrape) gives what counting the handed-out records gives: permanent,
 * dynamic decided here (no host, or this host) and by a peer, through starts, drops, ticks.
 */
test('HeldBlocks counts by kind as the records say, without building them', () => {
  for (let seed = 1; seed <= 10; seed++) {
    const rnd = mulberry32(seed);
    const h = new HeldBlocks(600, { blocks: 0, extends: 0, unblocks: 0 });
    const hosts = [undefined, 'here', 'peer-1', 'peer-2'];
    let at = 1000;
    let peers = 0;
    for (let op = 0; op < 2000; op++) {
      at += rnd();
      const ip = `198.51.${Math.floor(rnd() * 4)}.${Math.floor(rnd() * 256)}`;
      const r = rnd();
      const held = h.isBlocked(ip);
      if (r < 0.5 && !h.isPermanent(ip)) {
        const host = hosts[Math.floor(rnd() * hosts.length)];
        h.start(aBlock(ip, { expiresAt: at + 600, ...(host ? { host } : {}) }), at);
      } else if (r < 0.6 && !held) h.holdPermanent(aBlock(ip, { expiresAt: null }), at);
      else if (r < 0.75) h.drop(ip);
      else h.tick(at + rnd() * 900);
      const want = { local: 0, peer: 0, permanent: 0 };
      for (const b of [...h.blocks(), ...h.permanents()]) {
        if (b.expiresAt === null) want.permanent++;
        else if (b.host !== undefined && b.host !== 'here') want.peer++;
        else want.local++;
      }
      assert.deepEqual(h.counts('here'), want, `seed ${seed} op ${op}`);
      peers += want.peer;
    }
    assert.ok(peers > 0, `seed ${seed}: peer blocks were held`);
  }
});
