/**
 * A staged batch read back (store-writer-codec.ts says the layout): on the writer thread
 * before its commit, and on the event loop when a refused commit's batches join the retry
 * (`unstage`). Bytes that start with v8.serialize's version byte are v8's (the codec's
 * fallback for values its schema does not describe).
 *
 * Everything is checked before it is used: the header's sizes against the bytes, each
 * string's end against the table, each index, tag, count and boolean against what the
 * schema allows, and that the slots end where the last record does. A slip is one
 * SP_ERR_STORE error naming the first thing wrong (the commit is refused and retried like
 * any refused commit), never a crash, a hang on a huge count, or a batch half read.
 */
import { deserialize } from 'node:v8';
import { SipprotError } from '../core/errors.js';
import type { NewHistoryEvent } from '../core/history/events.js';
import type { AttackRecord } from '../core/records.js';
import type { BlockRecord, Decision } from '../core/types.js';
import type { StoreBatch } from '../ports/store.js';

const MAGIC = 0x31425053;
const HEADER = 16;
const NULL_REF = -1;
const ABSENT_REF = -2;

function malformed(what: string): SipprotError {
  return new SipprotError('SP_ERR_STORE', `staged store batch is malformed: ${what}`);
}

class Reader {
  private i = 0;

  constructor(
    private readonly slots: Float64Array,
    private readonly strings: readonly string[],
  ) {}

  num(): number {
    if (this.i >= this.slots.length) throw malformed(`it ends inside a record (slot ${this.i})`);
    return this.slots[this.i++]!;
  }

  /** A count of things each at least one slot long: bounded by the slots left. */
  count(min: number): number {
    const n = this.num();
    if (n === min && min === -1) return n;
    if (!Number.isInteger(n) || n < 0 || n > this.slots.length - this.i)
      throw malformed(`count ${n} at slot ${this.i - 1}`);
    return n;
  }

  numOrNull(): number | null | undefined {
    const tag = this.num();
    if (tag === 0) return null;
    if (tag === 2) return undefined;
    if (tag !== 1) throw malformed(`tag ${tag} at slot ${this.i - 1}`);
    return this.num();
  }

  bool(): boolean {
    const b = this.num();
    if (b !== 0 && b !== 1) throw malformed(`boolean ${b} at slot ${this.i - 1}`);
    return b === 1;
  }

  str(): string | null | undefined {
    const r = this.num();
    if (r === NULL_REF) return null;
    if (r === ABSENT_REF) return undefined;
    const s = Number.isInteger(r) && r >= 0 ? this.strings[r] : undefined;
    if (s === undefined)
      throw malformed(`string ${r} at slot ${this.i - 1} (${this.strings.length} in the table)`);
    return s;
  }

  strs(): string[] {
    const n = this.count(0);
    const out = new Array<string>(n);
    for (let k = 0; k < n; k++) {
      const s = this.str();
      if (typeof s !== 'string') throw malformed(`a list holds ${s} at slot ${this.i - 1}`);
      out[k] = s;
    }
    return out;
  }

  section<T>(each: (r: Reader) => T): T[] | undefined {
    const n = this.count(-1);
    if (n === -1) return undefined;
    const out = new Array<T>(n);
    for (let k = 0; k < n; k++) out[k] = each(this);
    return out;
  }

  done(): void {
    if (this.i !== this.slots.length)
      throw malformed(`${this.slots.length - this.i} slots after the last record`);
  }
}

/** The batch `bytes` hold (encodeBatch's, or v8.serialize's); SP_ERR_STORE when malformed. */
export function decodeBatch(bytes: Uint8Array): StoreBatch {
  if (!(bytes instanceof Uint8Array)) throw malformed('not bytes');
  if (bytes.byteLength >= 1 && bytes[0] === 0xff) return v8Batch(bytes);
  if (bytes.byteLength < HEADER) throw malformed(`${bytes.byteLength} bytes, shorter than its header`);
  // Typed views need aligned offsets: a view elsewhere than at its buffer's start is copied.
  const b = bytes.byteOffset % 8 === 0 ? bytes : bytes.slice();
  const head = new Uint32Array(b.buffer, b.byteOffset, 4);
  const [magic, nSlots, nStrings, nBytes] = [head[0]!, head[1]!, head[2]!, head[3]!];
  if (magic !== MAGIC) throw malformed(`first word 0x${magic.toString(16)}, not the codec's`);
  const size = HEADER + 8 * nSlots + 4 * nStrings + nBytes;
  if (size !== b.byteLength) throw malformed(`header says ${size} bytes, ${b.byteLength} given`);
  const slots = new Float64Array(b.buffer, b.byteOffset + HEADER, nSlots);
  const ends = new Uint32Array(b.buffer, b.byteOffset + HEADER + 8 * nSlots, nStrings);
  const text = Buffer.from(b.buffer, b.byteOffset + HEADER + 8 * nSlots + 4 * nStrings, nBytes);
  const strings = new Array<string>(nStrings);
  let at = 0;
  for (let k = 0; k < nStrings; k++) {
    const e = ends[k]!;
    const end = e >>> 1;
    const two = (e & 1) === 1;
    if (end < at || end > nBytes || (two && (end - at) % 2 !== 0))
      throw malformed(`string ${k} ends at ${end} (from ${at}, ${nBytes} bytes)`);
    strings[k] = text.toString(two ? 'utf16le' : 'latin1', at, end);
    at = end;
  }
  if (at !== nBytes) throw malformed(`${nBytes - at} string bytes after the last string`);
  const r = new Reader(slots, strings);
  const batch: StoreBatch = {};
  const blocks = r.section(readBlock);
  const deleteBlocks = r.section(readIp);
  const incrementTimesBlocked = r.section((x) => ({ ip: readIp(x), at: x.num() }));
  const decisions = r.section(readDecision);
  const attacks = r.section(readAttack);
  const history = r.section(readEvent);
  r.done();
  if (blocks) batch.blocks = blocks;
  if (deleteBlocks) batch.deleteBlocks = deleteBlocks;
  if (incrementTimesBlocked) batch.incrementTimesBlocked = incrementTimesBlocked;
  if (decisions) batch.decisions = decisions;
  if (attacks) batch.attacks = attacks;
  if (history) batch.history = history;
  return batch;
}

function v8Batch(bytes: Uint8Array): StoreBatch {
  let v: unknown;
  try {
    v = deserialize(bytes);
  } catch (e) {
    throw malformed(`v8 bytes do not deserialize (${(e as Error).message})`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw malformed('v8 bytes are not a batch');
  return v as StoreBatch;
}

function readIp(r: Reader): string {
  const s = r.str();
  if (typeof s !== 'string') throw malformed(`an address is ${s}`);
  return s;
}

// The records as the types name them; an optional field (host, detail) is set only when present.
type Loose<T> = { [K in keyof T]: unknown };

function readBlock(r: Reader): BlockRecord {
  const o: Loose<BlockRecord> = {
    ip: r.str(),
    reason: r.str(),
    userAgent: r.str(),
    country: r.str(),
    attempts: r.num(),
    users: r.strs(),
    transport: r.str(),
    port: r.numOrNull(),
    firstSeen: r.num(),
    lastSeen: r.num(),
    blockedAt: r.num(),
    expiresAt: r.numOrNull(),
    timesBlocked: r.num(),
    misconfiguredPhone: r.bool(),
    note: r.str(),
  };
  const host = r.str();
  if (host !== undefined) o.host = host;
  return o as BlockRecord;
}

function readDecision(r: Reader): Decision {
  const o: Loose<Decision> = {
    at: r.num(),
    ip: r.str(),
    action: r.str(),
    reason: r.str(),
    expiresAt: r.numOrNull(),
    userAgent: r.str(),
    users: r.strs(),
    attempts: r.num(),
    transport: r.str(),
    port: r.numOrNull(),
    country: r.str(),
    timesBlocked: r.num(),
    misconfiguredPhone: r.bool(),
    note: r.str(),
  };
  const host = r.str();
  if (host !== undefined) o.host = host;
  return o as Decision;
}

function readAttack(r: Reader): AttackRecord {
  const o: Partial<Loose<AttackRecord>> = {
    at: r.num(),
    ip: r.str(),
    rule: r.str(),
    userAgent: r.str(),
    attempts: r.num(),
    users: r.strs(),
    transport: r.str(),
    port: r.numOrNull(),
    misconfiguredPhone: r.bool(),
  };
  const detail = r.str();
  if (detail !== undefined) o.detail = detail;
  o.country = r.str();
  const host = r.str();
  if (host !== undefined) o.host = host;
  return o as AttackRecord;
}

function readEvent(r: Reader): NewHistoryEvent {
  const o: Loose<NewHistoryEvent> = {
    at: r.num(),
    kind: r.str(),
    subject: r.str(),
    reason: r.str(),
    actor: r.str(),
    country: r.str(),
    userAgent: r.str(),
    users: r.strs(),
    attempts: r.num(),
    expiresAt: r.numOrNull(),
    renewals: r.numOrNull(),
    lastSeen: r.numOrNull(),
    misconfiguredPhone: r.bool(),
    note: r.str(),
    samples: r.strs(),
  };
  return o as NewHistoryEvent;
}
