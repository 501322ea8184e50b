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
 * Built for a million messages a second: requests live in columns in chunks (a ring in
 * arrival order, for expiry and the bound: match-slots.ts), found through an
 * open-addressing index from one 30-bit hash of the key to the newest slot
 * (match-index.ts); a second independent 30-bit hash confirms it, and slots sharing the
 * first hash are chained. No key strings, no object per request: nothing for the garbage
 * collector to promote and sweep. O(1) per operation, growth included: neither the
 * columns nor the index grow in one piece (issue 13; before, a doubling at 131k requests
 * in flight was one 74–88 ms call). The user agents kept are one pooled copy each
 * (intern.ts), a user named twice by one request one copy, the Call-ID and branch hashes
 * mostly the parser's (match-hash.ts).
 */
import type { SipEvent, SipMessage, Transport } from '../types.js';
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
import { RequestIndex } from './match-index.js';
import {
  ALERTED,
  CHUNK_MASK,
  CHUNK_SHIFT,
  CREDS,
  FOLLOW_UP,
  type RequestCols,
  RequestSlots,
  slotLimit,
} from './match-slots.js';
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
// User agents repeat across millions of requests: one copy of each is kept (2^12 slots).
const UA_POOL_BITS = 12;

/** Remembers requests from remote addresses and finds them again for their answers. */
export class RequestTable {
  readonly maxEntries: number;
  readonly ttl: number;
  /** Requests dropped unanswered because the table was full. */
  evicted = 0;
  private readonly slots: RequestSlots;
  private readonly chunks: RequestCols[];
  private readonly index: RequestIndex;
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
    this.slots = new RequestSlots(this.maxEntries);
    this.chunks = this.slots.chunks;
    this.index = new RequestIndex(this.chunks, slotLimit(this.maxEntries));
  }

  get size(): number {
    return this.slots.len;
  }

  /** Whether the index is moving to a doubled table (tests: lookups during the move). */
  get migrating(): boolean {
    return this.index.migrating;
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
    if (old >= 0) {
      const b = this.chunks[old >>> CHUNK_SHIFT]!.branch[old & CHUNK_MASK]!;
      if (b === br || br === 0 || b === 0) return this.load(old, remote);
    }
    if (this.slots.len === this.maxEntries) {
      this.evicted++;
      this.shift();
    }
    const s = this.slots.add();
    const c = this.chunks[s >>> CHUNK_SHIFT]!;
    const o = s & CHUNK_MASK;
    c.at[o] = ev.at;
    c.cseq[o] = msg.cseq !== null && Number.isFinite(msg.cseq) ? msg.cseq : -1;
    c.key[o] = h1;
    c.verify[o] = h2;
    c.branch[o] = br;
    c.call[o] = callHash(msg.callId);
    c.port[o] = ev.dport;
    c.answered[o] = 0;
    const t = TRANSPORTS.indexOf(ev.transport);
    c.flags[o] = Math.max(t, 0) | (msg.hasCredentials ? CREDS : 0);
    c.method[o] = msg.method;
    // One copy of a user the request names twice (a flood's attempt: To and username "134"
    // alike, 425k of 500k requests): the other copy dies young instead of being promoted.
    const to = detach(msg.toUser);
    const auth = msg.authUser;
    const uu = uriUser(msg.uri);
    c.toUser[o] = to;
    c.authUser[o] = auth !== null && auth === to ? to : detach(auth);
    c.uriUser[o] = uu !== null && uu === to ? to : detach(uu);
    c.userAgent[o] = this.uas.get(msg.userAgent);
    c.next[o] = this.index.push(h1, s);
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
    const b = this.chunks[s >>> CHUNK_SHIFT]!.branch[s & CHUNK_MASK]!;
    if (br !== 0 && b !== 0 && b !== br) return null;
    return this.load(s, remote);
  }

  /** Records the final status on the request last returned by remember() or match(). */
  setAnswered(status: number): void {
    const s = this.cur;
    if (s < 0) return;
    const a = this.chunks[s >>> CHUNK_SHIFT]!.answered;
    a[s & CHUNK_MASK] = status > 0 && status < 65536 ? status : 1;
    this.view.answered = a[s & CHUNK_MASK]!;
  }

  /** Marks the request last returned by remember() as a follow-up of a challenge. */
  markFollowUp(): void {
    this.setFlag(FOLLOW_UP);
    if (this.cur >= 0) this.view.followUp = true;
  }

  /** Marks the request last returned by remember() or match() as alerted about. */
  markAlerted(): void {
    this.setFlag(ALERTED);
    if (this.cur >= 0) this.view.alerted = true;
  }

  /** Forgets requests older than the ttl; call with the current packet time. */
  expire(now: number): void {
    const slots = this.slots;
    while (slots.len > 0) {
      const s = slots.head;
      if (this.chunks[s >>> CHUNK_SHIFT]!.at[s & CHUNK_MASK]! + this.ttl > now) return;
      this.shift();
    }
  }

  private setFlag(bit: number): void {
    const s = this.cur;
    if (s >= 0) this.chunks[s >>> CHUNK_SHIFT]!.flags[s & CHUNK_MASK]! |= bit;
  }

  /** The newest slot with this key, or -1. */
  private find(h1: number, h2: number): number {
    let s = this.index.get(h1);
    while (s >= 0) {
      const c = this.chunks[s >>> CHUNK_SHIFT]!;
      const o = s & CHUNK_MASK;
      if (c.verify[o] === h2) return s;
      s = c.next[o]!;
    }
    return -1;
  }

  private load(s: number, remote: string): PendingRequest {
    const v = this.view;
    const c = this.chunks[s >>> CHUNK_SHIFT]!;
    const o = s & CHUNK_MASK;
    const f = c.flags[o]!;
    this.cur = s;
    v.remote = remote;
    v.at = c.at[o]!;
    v.method = c.method[o]!;
    v.callHash = c.call[o]!;
    v.cseq = c.cseq[o]!;
    v.hasCredentials = (f & CREDS) !== 0;
    v.authUser = c.authUser[o]!;
    v.toUser = c.toUser[o]!;
    v.uriUser = c.uriUser[o]!;
    v.userAgent = c.userAgent[o]!;
    v.transport = TRANSPORTS[f & 7]!;
    v.port = c.port[o]!;
    v.answered = c.answered[o]!;
    v.followUp = (f & FOLLOW_UP) !== 0;
    v.alerted = (f & ALERTED) !== 0;
    return v;
  }

  /** Drops the oldest slot: it is the last of its hash chain. */
  private shift(): void {
    const s = this.slots.head;
    const c = this.chunks[s >>> CHUNK_SHIFT]!;
    const o = s & CHUNK_MASK;
    const first = this.index.unlink(c.key[o]!, s);
    if (first !== s) {
      let x = first;
      for (;;) {
        if (x < 0) break;
        const xc = this.chunks[x >>> CHUNK_SHIFT]!;
        const n = xc.next[x & CHUNK_MASK]!;
        if (n === s) {
          xc.next[x & CHUNK_MASK] = -1;
          break;
        }
        x = n;
      }
    }
    c.authUser[o] = null;
    c.toUser[o] = null;
    c.uriUser[o] = null;
    c.userAgent[o] = null;
    if (this.cur === s) this.cur = -1;
    this.slots.shift();
  }
}
