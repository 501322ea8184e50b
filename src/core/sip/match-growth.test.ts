/**
 * The request table grows in steps (match-slots.ts: chunks; match-index.ts: an index that
 * doubles while still read): same answers as a plain model of what it means. The model is
 * a queue in arrival order and a Map of each key's newest request: remember, match (the
 * branch rules), the bound's eviction, expiry in arrival order, and the marks on the request
 * last handed out. Seeded random operations cross every growth (index doublings from 16 cells
 * up, new chunks, chunks freed and taken again) with lookups
 * while the index moves, and every result is compared after every operation, including
 * lookups of requests already dropped: a move that loses an entry or revives a dropped one
 * fails here.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { answer, register } from '../detect/detect.testkit.js';
import { mulberry32 } from '../prng.testkit.js';
import type { SipEvent } from '../types.js';
import { type PendingRequest, RequestTable } from './match.js';

interface Entry {
  key: string;
  branch: string | null;
  at: number;
  method: string;
  cseq: number;
  answered: number;
  followUp: boolean;
  alerted: boolean;
}

/** The table's meaning, without hashes or slots. */
class Model {
  readonly queue: Entry[] = [];
  private headAt = 0;
  private readonly newest = new Map<string, Entry>();
  evicted = 0;
  cur: Entry | null = null;

  constructor(
    private readonly max: number,
    private readonly ttl: number,
  ) {}

  get size(): number {
    return this.queue.length - this.headAt;
  }

  remember(remote: string, ev: SipEvent): Entry | null {
    const key = keyOf(remote, ev);
    if (key === null) return null;
    const br = ev.msg.branch;
    const old = this.newest.get(key);
    if (old && (old.branch === br || br === null || old.branch === null)) return this.hand(old);
    if (this.size === this.max) {
      this.evicted++;
      this.shift();
    }
    const e: Entry = {
      key,
      branch: br,
      at: ev.at,
      method: ev.msg.method!,
      cseq: ev.msg.cseq ?? -1,
      answered: 0,
      followUp: false,
      alerted: false,
    };
    this.queue.push(e);
    this.newest.set(key, e);
    return this.hand(e);
  }

  /** The entry handed out: the marks go on it. */
  private hand(e: Entry): Entry {
    this.cur = e;
    return e;
  }

  match(remote: string, ev: SipEvent): Entry | null {
    const key = keyOf(remote, ev);
    if (key === null) return null;
    const e = this.newest.get(key);
    if (!e) return null;
    const br = ev.msg.branch;
    if (br !== null && e.branch !== null && e.branch !== br) return null;
    return this.hand(e);
  }

  expire(now: number): void {
    while (this.size > 0 && this.queue[this.headAt]!.at + this.ttl <= now) this.shift();
  }

  private shift(): void {
    const e = this.queue[this.headAt++]!;
    if (this.newest.get(e.key) === e) this.newest.delete(e.key);
    if (this.cur === e) this.cur = null;
    if (this.headAt > 100_000) {
      this.queue.splice(0, this.headAt);
      this.headAt = 0;
    }
  }
}

function keyOf(remote: string, ev: SipEvent): string | null {
  const m = ev.msg;
  if (m.callId !== null && m.cseq !== null) return `${remote}|${m.callId}|${m.cseq}|${m.method}`;
  return m.branch !== null ? `${remote}|-|${m.branch}` : null;
}

function same(got: PendingRequest | null, want: Entry | null, op: number, what: string): void {
  if (want === null) {
    if (got !== null)
      assert.fail(`op ${op} ${what}: found a request the model dropped or never had (at ${got.at})`);
    return;
  }
  if (got === null) assert.fail(`op ${op} ${what}: lost the request at ${want.at}`);
  if (
    got.at !== want.at ||
    got.answered !== want.answered ||
    got.followUp !== want.followUp ||
    got.alerted !== want.alerted ||
    got.method !== want.method ||
    got.cseq !== want.cseq
  ) {
    assert.deepEqual(
      {
        at: got.at,
        answered: got.answered,
        followUp: got.followUp,
        alerted: got.alerted,
        m: got.method,
        c: got.cseq,
      },
      {
        at: want.at,
        answered: want.answered,
        followUp: want.followUp,
        alerted: want.alerted,
        m: want.method,
        c: want.cseq,
      },
      `op ${op} ${what}`,
    );
  }
}

/**
 * `ops` random operations; the arrival rate swings between `busy` and a tenth of it every
 * `phase` operations, so the table fills to ~busy × ttl, drains, and fills again.
 */
function run(seed: number, o: { max: number; ttl: number; ops: number; busy: number; phase: number }) {
  const rnd = mulberry32(seed);
  const t = new RequestTable({ maxEntries: o.max, ttl: o.ttl });
  const m = new Model(o.max, o.ttl);
  const history: { remote: string; ev: SipEvent }[] = [];
  const pick = () => history[history.length - 1 - Math.floor(rnd() ** 2 * history.length)]!;
  const branch = () => (rnd() < 0.1 ? null : `z9hG4bK-${Math.floor(rnd() * 1e9).toString(36)}`);
  let now = 0;
  let serial = 0;
  let mid = 0;
  let biggest = 0;
  for (let op = 0; op < o.ops; op++) {
    const rate = Math.floor(op / o.phase) % 2 === 0 ? o.busy : o.busy / 10;
    // Unique times: a request found is the one the model holds, not one like it.
    now += 1 / rate + ++serial * 1e-12;
    const r = rnd();
    if (t.migrating) mid++;
    if (r < 0.5 || history.length === 0) {
      const remote = `198.51.100.${Math.floor(rnd() * 40)}`;
      const ev = register({ at: now, ip: remote, cseq: 1 + Math.floor(rnd() * 3) });
      const k = rnd();
      if (k < 0.1) ev.msg = { ...ev.msg, callId: null, cseq: null };
      else if (k < 0.15) ev.msg = { ...ev.msg, branch: null };
      else if (k < 0.3) ev.msg = { ...ev.msg, method: 'INVITE' };
      history.push({ remote, ev });
      same(t.remember(remote, ev), m.remember(remote, ev), op, 'remember');
    } else if (r < 0.65) {
      // A retransmission, or a new transaction with the same key (new branch, or none).
      const p = pick();
      const b = rnd() < 0.6 ? p.ev.msg.branch : branch();
      const ev: SipEvent = { ...p.ev, at: now, msg: { ...p.ev.msg, branch: b } };
      history.push({ remote: p.remote, ev });
      same(t.remember(p.remote, ev), m.remember(p.remote, ev), op, 'remember again');
    } else if (r < 0.88) {
      const p = pick();
      const a = answer(p.ev, 401);
      const b = rnd();
      if (b < 0.2) a.msg = { ...a.msg, branch: branch() };
      same(t.match(p.remote, a.msg), m.match(p.remote, a), op, 'match');
    } else if (r < 0.93) {
      const status = [0, 180, 401, 70000][Math.floor(rnd() * 4)]!;
      t.setAnswered(status);
      if (m.cur) m.cur.answered = status > 0 && status < 65536 ? status : 1;
    } else if (r < 0.96) {
      t.markFollowUp();
      if (m.cur) m.cur.followUp = true;
    } else {
      t.markAlerted();
      if (m.cur) m.cur.alerted = true;
    }
    if (rnd() < 0.3) {
      t.expire(now);
      m.expire(now);
    }
    if (t.size !== m.size) assert.fail(`op ${op}: size ${t.size}, the model ${m.size}`);
    if (t.evicted !== m.evicted) assert.fail(`op ${op}: evicted ${t.evicted}, the model ${m.evicted}`);
    biggest = Math.max(biggest, m.size);
    if (history.length > 200_000) history.splice(0, 100_000);
  }
  return { mid, biggest, evicted: m.evicted };
}

describe('RequestTable grows in steps and answers as the model does', () => {
  test('a large bound: the index doubles 13 times, chunks are added, freed and taken again', () => {
    for (const seed of [1, 2]) {
      const r = run(seed, { max: 1_000_000, ttl: 1, ops: 150_000, busy: 60_000, phase: 50_000 });
      assert.ok(r.biggest > 30_000, `filled to ${r.biggest}`);
      assert.ok(r.mid > 3_000, `operations while the index moved: ${r.mid}`);
      assert.equal(r.evicted, 0);
    }
  });

  test('a bound above one chunk, reached: the oldest evicted across chunks', () => {
    const r = run(4, { max: 9_000, ttl: 1, ops: 120_000, busy: 40_000, phase: 30_000 });
    assert.ok(r.evicted > 10_000, `evicted ${r.evicted}`);
    // Just past one chunk and exactly two: the ring's chunks stay within the index's
    // slot bits (slotLimit; one chunk fewer there throws).
    for (const max of [1025, 2048]) {
      const q = run(max, { max, ttl: 1, ops: 40_000, busy: 20_000, phase: 10_000 });
      assert.ok(q.evicted > 1_000, `bound ${max}: evicted ${q.evicted}`);
    }
  });

  test('a bound within one chunk: the ring wraps inside it', () => {
    for (const max of [1, 7, 1000, 1024]) {
      const r = run(5 + max, { max, ttl: 1, ops: 40_000, busy: 20_000, phase: 10_000 });
      assert.ok(r.evicted > 0, `bound ${max}: evicted ${r.evicted}`);
    }
  });
});
