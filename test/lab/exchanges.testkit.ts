/**
 * The lab captures as exchanges between the PBX and its clients: every request with the
 * final answer it got, matched by Call-ID + CSeq + method + Via branch (the first final answer
 * counts), who sent it (a client, or the PBX itself: NOTIFY, OPTIONS qualify),
 * and what the answer means by PRODUCT.md's rules. Nothing of sipprot is used (see
 * pcap-read.testkit.ts); golden expectations are computed from these.
 */
import { readSip, type SipCapture, type SipMsg } from './sip-read.testkit.js';

export interface Exchange {
  req: SipMsg;
  /** The final answer (>= 200), or null if none came. */
  answer: SipMsg | null;
  /** The client's address: the side that is not the PBX. */
  client: string;
  /** True when the PBX sent the request (NOTIFY, OPTIONS qualify, ...). */
  fromPbx: boolean;
  /** PRODUCT.md's failed attempt: 401/407 to a request with credentials (not stale), any
   *  403, a 404 to a REGISTER. */
  failed: boolean;
  /** A 401/407 to a request without credentials. */
  challenged: boolean;
}

export interface LabCapture extends SipCapture {
  exchanges: Exchange[];
}

/** Reads a capture and pairs its requests and answers; `pbx` are the PBX's addresses. */
export function readExchanges(file: string, pbx: readonly string[]): LabCapture {
  const cap = readSip(file);
  const open = new Map<string, Exchange>();
  const exchanges: Exchange[] = [];
  for (const m of cap.messages) {
    // The top Via's branch tells a retransmission (same branch) from a new request that
    // reuses Call-ID and CSeq (svcrack does).
    const branch = /;\s*branch=([^;,\s]+)/i.exec(m.via)?.[1] ?? '';
    const key = `${m.callId}|${m.cseq}|${m.cseqMethod}|${branch}`;
    if (m.method !== null) {
      if (m.method === 'ACK') continue;
      const fromPbx = pbx.includes(m.src);
      const prior = open.get(key);
      // A retransmission keeps the first copy (its time is the attempt's time).
      if (prior !== undefined && prior.req.src === m.src && prior.req.sport === m.sport) continue;
      const ex: Exchange = {
        req: m,
        answer: null,
        client: fromPbx ? m.dst : m.src,
        fromPbx,
        failed: false,
        challenged: false,
      };
      open.set(key, ex);
      exchanges.push(ex);
      continue;
    }
    const ex = open.get(key);
    if (ex === undefined || m.status === null || m.status < 200) continue;
    if (ex.answer !== null) continue; // a retransmitted final answer
    ex.answer = m;
    const s = m.status;
    const cred = ex.req.credentials;
    ex.failed =
      !ex.fromPbx &&
      (((s === 401 || s === 407) && cred && !m.stale) ||
        s === 403 ||
        (s === 404 && ex.req.method === 'REGISTER'));
    ex.challenged = !ex.fromPbx && (s === 401 || s === 407) && !cred;
  }
  return { ...cap, exchanges };
}

/** Requests per client address (PBX-sent requests excluded). */
export function byClient(exchanges: readonly Exchange[]): Map<string, Exchange[]> {
  const out = new Map<string, Exchange[]>();
  for (const e of exchanges) {
    if (e.fromPbx) continue;
    const list = out.get(e.client) ?? [];
    list.push(e);
    out.set(e.client, list);
  }
  return out;
}
