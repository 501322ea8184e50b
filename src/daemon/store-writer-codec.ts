/**
 * A store batch as bytes for the writer thread (store-writer.ts `stage`), written by the
 * batch's own schema instead of v8.serialize (issue 13).
 *
 * Why: a flood block is four records in its batch (block, decision, attack, history event)
 * that repeat the same strings (address, reason, users, agent, country, note) and name
 * every field. v8.serialize wrote each key and each copy of each string, ~1.3 KB a block,
 * ~5 µs of the main thread a block (~11% of it in the daemon-path bench). Here every
 * distinct string of a batch is written once (a table; records hold its index), numbers
 * are numbers in a Float64 stream, and no key is written: the schema below is the format.
 *
 * Layout (one SharedArrayBuffer, handed over without a copy):
 *   u32 MAGIC, u32 slots, u32 strings, u32 string bytes  (16 bytes)
 *   f64 × slots           the batch's fields in schema order: numbers as they are, strings
 *                         as their table index (NULL_REF: null, ABSENT_REF: undefined),
 *                         nullable numbers as a tag (0 null, 1 a number follows, 2
 *                         undefined), booleans 0/1, lists and sections as a count
 *                         (sections: -1 when absent)
 *   u32 × strings         each string's end in the bytes × 2, + 1 when two-byte (UTF-16LE)
 *   bytes                 one-byte strings as Latin-1, others as UTF-16 code units (lone
 *                         surrogates kept: the text comes from the network)
 *
 * A batch whose values the schema does not describe (a number where a string belongs: a
 * bug, or a peer's record of a newer version) is staged with v8.serialize as before:
 * `decodeBatch` tells the two apart by the first word. Properties the types do not name
 * are not carried (the store reads none). Malformed bytes are an SP_ERR_STORE error naming
 * what is wrong, never a crash or a partial batch.
 */
import { serialize } from 'node:v8';
import type { NewHistoryEvent } from '../core/history/events.js';
import type { AttackRecord } from '../core/records.js';
import type { BlockRecord, Decision } from '../core/types.js';
import type { StoreBatch } from '../ports/store.js';

/** "SPB1", little-endian: never the first word of v8.serialize's output (0xFF, version). */
const MAGIC = 0x31425053;
const HEADER = 16;
const NULL_REF = -1;
const ABSENT_REF = -2;

/** A value the schema does not describe: the batch goes through v8.serialize instead. */
class Unschematic extends Error {}

/**
 * The encoder's scratch: reused batch after batch on the one thread that stages, so a
 * batch allocates its output and nothing else that grows with it (its string Map aside).
 */
class Writer {
  slots = new Float64Array(4096);
  n = 0;
  bytes = new Uint8Array(16384);
  nb = 0;
  ends = new Uint32Array(1024);
  ns = 0;
  readonly index = new Map<string, number>();

  reset(): void {
    this.n = 0;
    this.nb = 0;
    this.ns = 0;
    this.index.clear();
    // A huge batch once (a commit of a slow writer's backlog) does not pin its scratch.
    if (this.slots.length > 1 << 20) this.slots = new Float64Array(4096);
    if (this.bytes.length > 1 << 23) this.bytes = new Uint8Array(16384);
    if (this.ends.length > 1 << 20) this.ends = new Uint32Array(1024);
  }

  num(x: number): void {
    if (typeof x !== 'number') throw new Unschematic();
    if (this.n === this.slots.length) {
      const b = new Float64Array(grownLength(this.slots.length, this.n + 1));
      b.set(this.slots);
      this.slots = b;
    }
    this.slots[this.n++] = x;
  }

  numOrNull(x: number | null | undefined): void {
    if (x === null) this.num(0);
    else if (x === undefined) this.num(2);
    else {
      this.num(1);
      this.num(x);
    }
  }

  bool(x: boolean): void {
    if (x === true) this.num(1);
    else if (x === false) this.num(0);
    else throw new Unschematic();
  }

  str(s: string | null | undefined): void {
    if (s === null) this.num(NULL_REF);
    else if (s === undefined) this.num(ABSENT_REF);
    else if (typeof s !== 'string') throw new Unschematic();
    else {
      let i = this.index.get(s);
      if (i === undefined) {
        i = this.add(s);
        this.index.set(s, i);
      }
      this.num(i);
    }
  }

  strs(xs: readonly string[]): void {
    if (!Array.isArray(xs)) throw new Unschematic();
    this.num(xs.length);
    for (let i = 0; i < xs.length; i++) this.str(xs[i]);
  }

  /** Appends `s` to the table: Latin-1 when every unit fits a byte, else UTF-16LE. */
  private add(s: string): number {
    const len = s.length;
    if (this.nb + 2 * len > this.bytes.length) {
      const grown = new Uint8Array(grownLength(this.bytes.length, this.nb + 2 * len));
      grown.set(this.bytes.subarray(0, this.nb));
      this.bytes = grown;
    }
    const b = this.bytes;
    const at = this.nb;
    let two = false;
    for (let i = 0; i < len; i++) {
      const c = s.charCodeAt(i);
      if (c > 0xff) {
        two = true;
        break;
      }
      b[at + i] = c;
    }
    if (two) {
      for (let i = 0; i < len; i++) {
        const c = s.charCodeAt(i);
        b[at + 2 * i] = c & 0xff;
        b[at + 2 * i + 1] = c >>> 8;
      }
      this.nb = at + 2 * len;
    } else this.nb = at + len;
    if (this.ns === this.ends.length) {
      const e = new Uint32Array(grownLength(this.ends.length, this.ns + 1));
      e.set(this.ends);
      this.ends = e;
    }
    this.ends[this.ns] = this.nb * 2 + (two ? 1 : 0);
    return this.ns++;
  }

  /** The batch's bytes in shared memory: one copy of what was written. */
  finish(): Uint8Array {
    const size = HEADER + 8 * this.n + 4 * this.ns + this.nb;
    const out = new Uint8Array(new SharedArrayBuffer(size));
    const head = new Uint32Array(out.buffer, 0, 4);
    head[0] = MAGIC;
    head[1] = this.n;
    head[2] = this.ns;
    head[3] = this.nb;
    new Float64Array(out.buffer, HEADER, this.n).set(this.slots.subarray(0, this.n));
    const endsAt = HEADER + 8 * this.n;
    new Uint32Array(out.buffer, endsAt, this.ns).set(this.ends.subarray(0, this.ns));
    out.set(this.bytes.subarray(0, this.nb), endsAt + 4 * this.ns);
    return out;
  }
}

/** A scratch array's next length: doubled until `need` fits. */
function grownLength(length: number, need: number): number {
  let len = length * 2;
  while (len < need) len *= 2;
  return len;
}

const writer = new Writer();

/** `batch` as bytes in shared memory, for `decodeBatch` on the writer thread. */
export function encodeBatch(batch: StoreBatch): Uint8Array {
  const w = writer;
  w.reset();
  try {
    section(w, batch.blocks, writeBlock);
    section(w, batch.deleteBlocks, (x, ip) => x.str(ip));
    section(w, batch.incrementTimesBlocked, (x, inc) => {
      x.str(inc.ip);
      x.num(inc.at);
    });
    section(w, batch.decisions, writeDecision);
    section(w, batch.attacks, writeAttack);
    section(w, batch.history, writeEvent);
    return w.finish();
  } catch (e) {
    if (!(e instanceof Unschematic) && !(e instanceof TypeError)) throw e;
    const v8 = serialize(batch);
    const out = new Uint8Array(new SharedArrayBuffer(v8.byteLength));
    out.set(v8);
    return out;
  } finally {
    w.index.clear();
  }
}

function section<T>(w: Writer, xs: readonly T[] | undefined, each: (w: Writer, x: T) => void): void {
  if (xs === undefined) {
    w.num(-1);
    return;
  }
  if (!Array.isArray(xs)) throw new Unschematic();
  w.num(xs.length);
  for (let i = 0; i < xs.length; i++) each(w, xs[i]!);
}

function writeBlock(w: Writer, r: BlockRecord): void {
  w.str(r.ip);
  w.str(r.reason);
  w.str(r.userAgent);
  w.str(r.country);
  w.num(r.attempts);
  w.strs(r.users);
  w.str(r.transport);
  w.numOrNull(r.port);
  w.num(r.firstSeen);
  w.num(r.lastSeen);
  w.num(r.blockedAt);
  w.numOrNull(r.expiresAt);
  w.num(r.timesBlocked);
  w.bool(r.misconfiguredPhone);
  w.str(r.note);
  w.str(r.host);
}

function writeDecision(w: Writer, d: Decision): void {
  w.num(d.at);
  w.str(d.ip);
  w.str(d.action);
  w.str(d.reason);
  w.numOrNull(d.expiresAt);
  w.str(d.userAgent);
  w.strs(d.users);
  w.num(d.attempts);
  w.str(d.transport);
  w.numOrNull(d.port);
  w.str(d.country);
  w.num(d.timesBlocked);
  w.bool(d.misconfiguredPhone);
  w.str(d.note);
  w.str(d.host);
}

function writeAttack(w: Writer, a: AttackRecord): void {
  w.num(a.at);
  w.str(a.ip);
  w.str(a.rule);
  w.str(a.userAgent);
  w.num(a.attempts);
  w.strs(a.users);
  w.str(a.transport);
  w.numOrNull(a.port);
  w.bool(a.misconfiguredPhone);
  w.str(a.detail);
  w.str(a.country);
  w.str(a.host);
}

function writeEvent(w: Writer, e: NewHistoryEvent): void {
  w.num(e.at);
  w.str(e.kind);
  w.str(e.subject);
  w.str(e.reason);
  w.str(e.actor);
  w.str(e.country);
  w.str(e.userAgent);
  w.strs(e.users);
  w.num(e.attempts);
  w.numOrNull(e.expiresAt);
  w.numOrNull(e.renewals);
  w.numOrNull(e.lastSeen);
  w.bool(e.misconfiguredPhone);
  w.str(e.note);
  w.strs(e.samples);
}
