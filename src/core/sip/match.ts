/**
 * Request ↔ answer matching. Requests from remote addresses are remembered for a
 * SIP transaction's lifetime (timer B, 32 s of packet time) so that the local server's
 * final answer can be judged against what was asked: whether it carried credentials,
 * for which user, with which user agent.
 *
 * Key: remote ip + Call-ID + CSeq number + method. The top Via branch is the secondary
 * key: it tells a retransmission (same branch: keep the entry and its answered state, so
 * a retransmitted 401 is not a second failure) from a new transaction that reuses
 * Call-ID and CSeq (new branch: the newer one answers). A request without Call-ID or
 * CSeq is keyed by its branch alone; without either it cannot be matched.
 *
 * Built for a million messages a second: requests live in preallocated columns (a ring
 * in arrival order, for expiry and the bound), found through an open-addressing index from one
 * 30-bit hash of the key to the newest slot; a second independent 30-bit hash confirms it, and
 * slots sharing the first hash are chained. No key strings, no object per request:
 * nothing for the garbage collector to promote and sweep. O(1) per operation. The user
 * agents kept are one pooled copy each (intern.ts), a user named twice by one request one
 * copy, the Call-ID and branch hashes mostly the parser's (match-hash.ts).
 */
import type { SipEvent, SipMessage, Transport } from '../types.js';
import { rotate, rotateA, type TypedColumn, widen, widenA } from './columns.js';
import { StringPool } from './intern.js';
import {
  branchHash,
  callHash,
  HASH,
  hashEnd,
  hashNum,
  hashOne,
  hashStart,
  hashStartWith,
  hashStr,
  requestKey,
} from './match-hash.js';
import type { PendingRequest } from './pending.js';
import { detach, identityUser, targetUser, uriUser } from './users.js';

export type { PendingRequest };
export {
  detach,
  HASH,
  hashEnd,
  hashNum,
  hashOne,
  hashStart,
  hashStartWith,
  hashStr,
  identityUser,
  requestKey,
  targetUser,
  uriUser,
};

export interface RequestTableOptions {
  /** Most requests remembered at once (default 200k). */
  maxEntries?: number;
  /** Seconds of packet time a request waits for its answer (default 32, SIP timer B). */
  ttl?: number;
}

const TRANSPORTS: readonly Transport[] = ['udp', 'tcp', 'tls', 'ws', 'sctp'];
const CREDS = 8;
const FOLLOW_UP = 16;
const ALERTED = 32;
// User agents repeat across millions of requests: one copy of each is kept (2^12 slots).
const UA_POOL_BITS = 12;

/** Index cells for `cap` slots: a power of two, at least twice as many (probe runs stay short). */
function indexSize(cap: number): number {
  let n = 16;
  while (n < 2 * cap) n *= 2;
  return n;
}

/** Remembers requests from remote addresses and finds them again for their answers. */
export class RequestTable {
  readonly maxEntries: number;
  readonly ttl: number;
  /** Requests dropped unanswered because the table was full. */
  evicted = 0;
  /**
   * Open-addressing index (linear probing): key hash h1 → 1 + the newest slot with that
   * hash, 0 = empty; the slot's own `key` column says which hash a cell holds. Twice the
   * columns' capacity, a power of two. It replaced a Map<number, number> (~70 B an entry,
   * 14 MB at 200k requests, and a doubling re-inserted every entry: a 95 ms stall in a
   * flood's profile): 8 B an entry, and a rebuild is a typed-array walk.
   */
  private index: Int32Array;
  private mask: number;
  private cap: number;
  private head = 0;
  private len = 0;
  private at: Float64Array;
  private cseq: Float64Array;
  private key: Int32Array;
  private verify: Int32Array;
  private next: Int32Array;
  private branch: Int32Array;
  private call: Int32Array;
  private port: Uint16Array;
  private answered: Uint16Array;
  /** Transport index (low 3 bits) | CREDS | FOLLOW_UP | ALERTED. */
  private flags: Uint8Array;
  private method: string[];
  private authUser: (string | null)[];
  private toUser: (string | null)[];
  private uriUserCol: (string | null)[];
  private userAgent: (string | null)[];
  /** One copy of each user agent kept (intern.ts): the parser's strings die young. */
  private readonly uas = new StringPool(UA_POOL_BITS);
  private readonly view: PendingRequest = {
    remote: '',
    at: 0,
    method: '',
    callHash: 0,
    cseq: -1,
    hasCredentials: false,
    authUser: null,
    toUser: null,
    uriUser: null,
    userAgent: null,
    transport: 'udp',
    port: 0,
    answered: 0,
    followUp: false,
    alerted: false,
  };
  private cur = -1;

  constructor(opts: RequestTableOptions = {}) {
    this.maxEntries = opts.maxEntries ?? 200_000;
    this.ttl = opts.ttl ?? 32;
    if (!(this.maxEntries >= 1)) throw new RangeError('maxEntries must be >= 1');
    this.cap = Math.min(this.maxEntries, 1024);
    this.index = new Int32Array(indexSize(this.cap));
    this.mask = this.index.length - 1;
    this.at = new Float64Array(this.cap);
    this.cseq = new Float64Array(this.cap);
    this.key = new Int32Array(this.cap);
    this.verify = new Int32Array(this.cap);
    this.next = new Int32Array(this.cap);
    this.branch = new Int32Array(this.cap);
    this.call = new Int32Array(this.cap);
    this.port = new Uint16Array(this.cap);
    this.answered = new Uint16Array(this.cap);
    this.flags = new Uint8Array(this.cap);
    this.method = new Array(this.cap).fill('');
    this.authUser = new Array(this.cap).fill(null);
    this.toUser = new Array(this.cap).fill(null);
    this.uriUserCol = new Array(this.cap).fill(null);
    this.userAgent = new Array(this.cap).fill(null);
  }

  get size(): number {
    return this.len;
  }

  /**
   * Remembers a request that `remote` sent to the local SIP port `ev.dport`. Returns the
   * view of its entry (new, or the one a retransmission belongs to), or null if the
   * request cannot be matched (no Call-ID/CSeq and no branch).
   */
  remember(remote: string, ev: SipEvent): PendingRequest | null {
    const msg = ev.msg;
    if (!requestKey(remote, msg)) return null;
    const h1 = HASH.h1;
    const h2 = HASH.h2;
    const br = branchHash(msg.branch);
    const old = this.find(h1, h2);
    if (old >= 0 && (this.branch[old] === br || br === 0 || this.branch[old] === 0)) {
      return this.load(old, remote);
    }
    if (this.len === this.maxEntries) {
      this.evicted++;
      this.shift();
    }
    // Grown before the tail wraps (once half full): a ring that never wrapped keeps its
    // slot numbers through a doubling (grow: native copies, no remapping).
    if (
      this.len === this.cap ||
      (this.head + this.len === this.cap && this.cap < this.maxEntries && 2 * this.len >= this.cap)
    )
      this.grow();
    const s = (this.head + this.len) % this.cap;
    this.len++;
    this.at[s] = ev.at;
    this.cseq[s] = msg.cseq !== null && Number.isFinite(msg.cseq) ? msg.cseq : -1;
    this.key[s] = h1;
    this.verify[s] = h2;
    this.branch[s] = br;
    this.call[s] = callHash(msg.callId);
    this.port[s] = ev.dport;
    this.answered[s] = 0;
    const t = TRANSPORTS.indexOf(ev.transport);
    this.flags[s] = Math.max(t, 0) | (msg.hasCredentials ? CREDS : 0);
    this.method[s] = msg.method;
    // One copy of a user the request names twice (a flood's attempt: To and username "134"
    // alike, 425k of 500k requests): the other copy dies young instead of being promoted.
    const to = detach(msg.toUser);
    const auth = msg.authUser;
    const uu = uriUser(msg.uri);
    this.toUser[s] = to;
    this.authUser[s] = auth !== null && auth === to ? to : detach(auth);
    this.uriUserCol[s] = uu !== null && uu === to ? to : detach(uu);
    this.userAgent[s] = this.uas.get(msg.userAgent);
    const cell = this.cell(h1);
    const head = this.index[cell]!;
    this.next[s] = head - 1;
    this.index[cell] = s + 1;
    return this.load(s, remote);
  }

  /**
   * The view of the request an answer to `remote` belongs to, or null. An answer whose
   * branch differs from the newest request with its key answers a superseded
   * transaction and is ignored.
   */
  match(remote: string, msg: SipMessage): PendingRequest | null {
    if (!requestKey(remote, msg)) return null;
    const s = this.find(HASH.h1, HASH.h2);
    if (s < 0) return null;
    const br = branchHash(msg.branch);
    if (br !== 0 && this.branch[s] !== 0 && this.branch[s] !== br) return null;
    return this.load(s, remote);
  }

  /** Records the final status on the request last returned by remember() or match(). */
  setAnswered(status: number): void {
    if (this.cur < 0) return;
    this.answered[this.cur] = status > 0 && status < 65536 ? status : 1;
    this.view.answered = this.answered[this.cur]!;
  }

  /** Marks the request last returned by remember() as a follow-up of a challenge. */
  markFollowUp(): void {
    if (this.cur < 0) return;
    this.flags[this.cur]! |= FOLLOW_UP;
    this.view.followUp = true;
  }

  /** Marks the request last returned by remember() or match() as alerted about. */
  markAlerted(): void {
    if (this.cur < 0) return;
    this.flags[this.cur]! |= ALERTED;
    this.view.alerted = true;
  }

  /** Forgets requests older than the ttl; call with the current packet time. */
  expire(now: number): void {
    while (this.len > 0 && this.at[this.head]! + this.ttl <= now) this.shift();
  }

  /** The newest slot with this key, or -1. */
  private find(h1: number, h2: number): number {
    let s = this.index[this.cell(h1)]! - 1;
    while (s >= 0) {
      if (this.verify[s] === h2) return s;
      s = this.next[s]!;
    }
    return -1;
  }

  private load(s: number, remote: string): PendingRequest {
    const v = this.view;
    const f = this.flags[s]!;
    this.cur = s;
    v.remote = remote;
    v.at = this.at[s]!;
    v.method = this.method[s]!;
    v.callHash = this.call[s]!;
    v.cseq = this.cseq[s]!;
    v.hasCredentials = (f & CREDS) !== 0;
    v.authUser = this.authUser[s]!;
    v.toUser = this.toUser[s]!;
    v.uriUser = this.uriUserCol[s]!;
    v.userAgent = this.userAgent[s]!;
    v.transport = TRANSPORTS[f & 7]!;
    v.port = this.port[s]!;
    v.answered = this.answered[s]!;
    v.followUp = (f & FOLLOW_UP) !== 0;
    v.alerted = (f & ALERTED) !== 0;
    return v;
  }

  /** Drops the oldest slot: it is the last of its hash chain. */
  private shift(): void {
    const s = this.head;
    const k = this.key[s]!;
    const cell = this.cell(k);
    const first = this.index[cell]! - 1;
    if (first === s) {
      this.unindex(cell);
    } else {
      let x = first;
      while (x >= 0 && this.next[x] !== s) x = this.next[x]!;
      if (x >= 0) this.next[x] = -1;
    }
    this.authUser[s] = null;
    this.toUser[s] = null;
    this.uriUserCol[s] = null;
    this.userAgent[s] = null;
    if (this.cur === s) this.cur = -1;
    this.head = (this.head + 1) % this.cap;
    this.len--;
  }

  /**
   * Doubles the columns (up to maxEntries), each one native copy (columns.ts). A ring that
   * does not wrap (remember grows it before its tail would, once half full) keeps its slot
   * numbers, `next` included; one that wrapped, then filled, is unwrapped: slot head + j
   * becomes j (`next` and `cur` follow). Then the index.
   */
  private grow(): void {
    const old = this.cap;
    const cap = Math.min(old * 2, this.maxEntries);
    const head = this.head;
    if (head + this.len > old) {
      this.remapColumns(
        (a) => rotate(a, head, cap),
        (a, fill) => rotateA(a, head, cap, fill),
      );
      const pos = (s: number) => (s - head + old) % old;
      const next = this.next;
      for (let j = 0; j < this.len; j++) {
        const n = next[j]!;
        if (n >= 0) next[j] = pos(n);
      }
      if (this.cur >= 0) this.cur = pos(this.cur);
      this.head = 0;
    } else {
      this.remapColumns(
        (a) => widen(a, cap),
        (a, fill) => widenA(a, cap, fill),
      );
    }
    this.cap = cap;
    this.reindex();
  }

  /** Every column through `typed` or `js` (the JS columns with their empty value). */
  private remapColumns(typed: <T extends TypedColumn>(a: T) => T, js: <T>(a: T[], fill: T) => T[]): void {
    this.at = typed(this.at);
    this.cseq = typed(this.cseq);
    this.key = typed(this.key);
    this.verify = typed(this.verify);
    this.next = typed(this.next);
    this.branch = typed(this.branch);
    this.call = typed(this.call);
    this.port = typed(this.port);
    this.answered = typed(this.answered);
    this.flags = typed(this.flags);
    this.method = js(this.method, '');
    this.authUser = js(this.authUser, null);
    this.toUser = js(this.toUser, null);
    this.uriUserCol = js(this.uriUserCol, null);
    this.userAgent = js(this.userAgent, null);
  }

  /** The index at the columns' size: each hash's newest slot (its chain in `next` stays). */
  private reindex(): void {
    const index = new Int32Array(indexSize(this.cap));
    const mask = index.length - 1;
    const key = this.key;
    const cap = this.cap;
    // Newest first: the first slot seen of a hash is the head of its chain.
    for (let j = this.len - 1; j >= 0; j--) {
      const s = (this.head + j) % cap;
      const h = key[s]!;
      let i = h & mask;
      let e = index[i]!;
      while (e !== 0 && key[e - 1] !== h) {
        i = (i + 1) & mask;
        e = index[i]!;
      }
      if (e === 0) index[i] = s + 1;
    }
    this.index = index;
    this.mask = mask;
  }

  /** The index cell of hash `h`: the one holding it, or the empty one where it goes. */
  private cell(h: number): number {
    const index = this.index;
    const mask = this.mask;
    let i = h & mask;
    for (let e = index[i]!; e !== 0 && this.key[e - 1] !== h; e = index[i]!) i = (i + 1) & mask;
    return i;
  }

  /** Empties a cell, moving later cells of its probe run back (no tombstones). */
  private unindex(cell: number): void {
    const index = this.index;
    const mask = this.mask;
    let i = cell;
    let j = cell;
    for (;;) {
      j = (j + 1) & mask;
      const e = index[j]!;
      if (e === 0) break;
      const home = this.key[e - 1]! & mask;
      // j's entry may fill the hole at i unless its home lies cyclically in (i, j].
      if (i <= j ? home > i && home <= j : home > i || home <= j) continue;
      index[i] = e;
      i = j;
    }
    index[i] = 0;
  }
}
