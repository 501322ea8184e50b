/**
 * Peers the server itself talks to (issue 10 item 7): a request the local server sends out
 * (REGISTER to a trunk's registrar, OPTIONS to a carrier, an INVITE to a trunk) answered
 * 2xx by the address it went to proves that address: a forger cannot answer a request it
 * never saw (its Call-ID and CSeq). Such peers are trusted like sources whose credentials
 * were accepted (trust.ts), so a forged scanner packet "from" the trunk only raises an alert
 * (shield.ts).
 *
 * A hashed table of 2^14 two-way buckets keyed by peer + Call-ID + CSeq, kept
 * OUTBOUND_SECONDS: no allocation per request (the server's own keep-alives pass here).
 */
import { HASH, hashEnd, hashNum, hashStart, hashStr } from '../sip/match-hash.js';
import type { SipEvent } from '../types.js';

const OUTBOUND_SECONDS = 64;
const BUCKETS = 1 << 14;
const MASK = BUCKETS - 1;

function keyOf(peer: string, ev: SipEvent): boolean {
  const { callId, cseq } = ev.msg;
  if (callId === null || cseq === null) return false;
  hashStart();
  hashStr(peer);
  hashStr(callId);
  hashNum(cseq);
  hashEnd();
  return true;
}

export class OutboundTable {
  private readonly time = new Float64Array(2 * BUCKETS).fill(Number.NEGATIVE_INFINITY);
  private readonly verify = new Int32Array(2 * BUCKETS);

  /** The local server sent `ev` (a request) to `peer`. */
  sent(peer: string, ev: SipEvent): void {
    if (!keyOf(peer, ev)) return;
    const a = (HASH.h1 & MASK) << 1;
    const i = this.verify[a] === HASH.h2 || this.time[a + 1]! < this.time[a]! ? a : a + 1;
    this.time[i] = ev.at;
    this.verify[i] = HASH.h2;
  }

  /** A 2xx from `peer` (`ev`, a response): true when it answers a request the server sent it. */
  answered(peer: string, ev: SipEvent): boolean {
    const s = ev.msg.status;
    if (s === null || s < 200 || s >= 300 || !keyOf(peer, ev)) return false;
    const a = (HASH.h1 & MASK) << 1;
    for (const i of [a, a + 1]) {
      if (this.verify[i] === HASH.h2 && ev.at - this.time[i]! < OUTBOUND_SECONDS) return true;
    }
    return false;
  }
}
