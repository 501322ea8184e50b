/**
 * Request ↔ answer matching. Requests from remote addresses are remembered for a
 * SIP transaction's lifetime (timer B, 32 s of packet time) so that the local server's
 * final answer can be judged against what was asked: whether it carried credentials,
 * for which user, with which user agent.
 *
 * Key: remote ip + Call-ID + CSeq number + method. The top Via branch is the secondary
 * key: it tells a retransmission (same branch: keep the entry and its answered state, so
 * a retransmitted 401 is not a second failure) from a new transaction that reuses
 * Call-ID and CSeq (new branch: replace). A request without Call-ID or CSeq is keyed by
 * its branch alone; without either it cannot be matched and is not remembered.
 *
 * Bounded (max entries) and O(1) per operation: a Map for lookup plus a ring queue in
 * arrival order for expiry. (Deleting a Map's first entry through a fresh iterator is
 * O(holes) in V8, quadratic over a run; measured 7.8 s for 200k, hence the ring.)
 */
import type { SipEvent, SipMessage, Transport } from '../types.js';

/** What detection needs to know about a request once its answer arrives. */
export interface PendingRequest {
  remote: string;
  at: number;
  method: string;
  callId: string | null;
  cseq: number | null;
  branch: string | null;
  hasCredentials: boolean;
  authUser: string | null;
  fromUser: string | null;
  toUser: string | null;
  /** The user of the Request-URI (`sip:100@host` → `100`). */
  uriUser: string | null;
  userAgent: string | null;
  transport: Transport;
  /** The local SIP port the request was sent to. */
  port: number;
  /** Final status already seen (0 = none yet): later finals are retransmissions. */
  answered: number;
}

/** The user part of a SIP/SIPS/TEL URI, or null. Tolerates `<...>` and parameters. */
export function uriUser(uri: string | null): string | null {
  if (uri === null) return null;
  let s = uri;
  const lt = s.indexOf('<');
  if (lt >= 0) s = s.slice(lt + 1);
  const colon = s.indexOf(':');
  if (colon < 0) return null;
  const scheme = s.slice(0, colon).toLowerCase();
  const rest = s.slice(colon + 1);
  if (scheme === 'tel') {
    const end = rest.search(/[;>?]/);
    const user = end < 0 ? rest : rest.slice(0, end);
    return user.length > 0 ? user : null;
  }
  if (scheme !== 'sip' && scheme !== 'sips') return null;
  const at = rest.indexOf('@');
  if (at <= 0) return null;
  const userinfo = rest.slice(0, at);
  const pw = userinfo.indexOf(':');
  const user = pw >= 0 ? userinfo.slice(0, pw) : userinfo;
  return user.length > 0 ? user : null;
}

/**
 * The account a request is about, the same with or without credentials (a follow-up
 * after a challenge must find the challenge): the To user for REGISTER (the address of
 * record), the Request-URI user otherwise, falling back to To.
 */
export function identityUser(req: Pick<PendingRequest, 'method' | 'toUser' | 'uriUser'>): string | null {
  if (req.method === 'REGISTER') return req.toUser ?? req.uriUser;
  return req.uriUser ?? req.toUser;
}

/** The user an attempt targeted, as reported to admins: the credentials' username first. */
export function targetUser(
  req: Pick<PendingRequest, 'method' | 'toUser' | 'uriUser' | 'authUser'>,
): string | null {
  return req.authUser ?? identityUser(req);
}

/**
 * Strings we keep may be slices of a whole packet's text; V8 then keeps the packet
 * alive. Short slices (< 13 chars) are copied by V8 anyway; longer ones are copied here.
 */
export function detach(s: string | null): string | null {
  if (s === null || s.length < 13) return s;
  return (' ' + s).slice(1);
}

/**
 * A bounded map whose entries expire in arrival order after `ttl` seconds of packet
 * time. The ring may hold stale slots (replaced or deleted entries); they count toward
 * `maxEntries`, which bounds the ring and therefore the map.
 */
export class ExpiringMap<V extends { at: number }> {
  private readonly map = new Map<string, V>();
  private keys: (string | undefined)[];
  private vals: (V | undefined)[];
  private head = 0;
  private len = 0;

  constructor(
    readonly maxEntries: number,
    readonly ttl: number,
  ) {
    if (!(maxEntries >= 1)) throw new RangeError('maxEntries must be >= 1');
    const initial = Math.min(maxEntries, 1024);
    this.keys = new Array(initial);
    this.vals = new Array(initial);
  }

  get size(): number {
    return this.map.size;
  }

  get(key: string): V | undefined {
    return this.map.get(key);
  }

  /** Inserts or replaces; a full ring first drops its oldest slot (passed to onEvict if live). */
  set(key: string, val: V, onEvict?: (key: string, val: V) => void): void {
    if (this.len === this.maxEntries) this.shift(onEvict);
    if (this.len === this.keys.length) this.grow();
    const i = (this.head + this.len) % this.keys.length;
    this.keys[i] = key;
    this.vals[i] = val;
    this.len++;
    this.map.set(key, val);
  }

  delete(key: string): boolean {
    return this.map.delete(key);
  }

  /** Drops entries whose `at + ttl <= now`, oldest first, calling onExpire for live ones. */
  expire(now: number, onExpire?: (key: string, val: V) => void): void {
    while (this.len > 0) {
      const v = this.vals[this.head]!;
      if (v.at + this.ttl > now) return;
      this.shift(onExpire);
    }
  }

  /** Time of the oldest slot, or null when empty. */
  oldestAt(): number | null {
    return this.len > 0 ? this.vals[this.head]!.at : null;
  }

  private shift(cb?: (key: string, val: V) => void): void {
    const k = this.keys[this.head]!;
    const v = this.vals[this.head]!;
    this.keys[this.head] = undefined;
    this.vals[this.head] = undefined;
    this.head = (this.head + 1) % this.keys.length;
    this.len--;
    if (this.map.get(k) === v) {
      this.map.delete(k);
      cb?.(k, v);
    }
  }

  private grow(): void {
    const cap = Math.min(this.keys.length * 2, this.maxEntries);
    const keys: (string | undefined)[] = new Array(cap);
    const vals: (V | undefined)[] = new Array(cap);
    for (let j = 0; j < this.len; j++) {
      const i = (this.head + j) % this.keys.length;
      keys[j] = this.keys[i];
      vals[j] = this.vals[i];
    }
    this.keys = keys;
    this.vals = vals;
    this.head = 0;
  }
}

export interface RequestTableOptions {
  /** Most requests remembered at once (default 200k). */
  maxEntries?: number;
  /** Seconds of packet time a request waits for its answer (default 32, SIP timer B). */
  ttl?: number;
}

function keyOf(remote: string, msg: SipMessage): string | null {
  if (msg.callId !== null && msg.cseq !== null) {
    return remote + '\u0000' + msg.callId + '\u0000' + msg.cseq + '\u0000' + msg.method;
  }
  if (msg.branch !== null) return remote + '\u0001' + msg.branch;
  return null;
}

// User agents repeat across millions of requests: keep one copy of each.
const UA_CACHE_MAX = 4096;

export type RememberResult = 'new' | 'retransmission' | 'unmatchable';

/** Remembers requests from remote addresses and finds them again for their answers. */
export class RequestTable {
  private readonly table: ExpiringMap<PendingRequest>;
  private readonly uaCache = new Map<string, string>();
  evicted = 0;

  constructor(opts: RequestTableOptions = {}) {
    this.table = new ExpiringMap(opts.maxEntries ?? 200_000, opts.ttl ?? 32);
  }

  get size(): number {
    return this.table.size;
  }

  /**
   * Remembers a request that `remote` sent to the local SIP port `ev.dport`. Returns the
   * entry (new or the one a retransmission belongs to), or null if it cannot be matched.
   */
  remember(remote: string, ev: SipEvent): PendingRequest | null {
    const msg = ev.msg;
    const key = keyOf(remote, msg);
    if (key === null) return null;
    const old = this.table.get(key);
    if (old !== undefined && (old.branch === msg.branch || msg.branch === null || old.branch === null)) {
      return old;
    }
    const entry: PendingRequest = {
      remote,
      at: ev.at,
      method: msg.method,
      callId: msg.callId,
      cseq: msg.cseq,
      branch: msg.branch,
      hasCredentials: msg.hasCredentials,
      authUser: detach(msg.authUser),
      fromUser: detach(msg.fromUser),
      toUser: detach(msg.toUser),
      uriUser: detach(uriUser(msg.uri)),
      userAgent: this.internUa(msg.userAgent),
      transport: ev.transport,
      port: ev.dport,
      answered: 0,
    };
    this.table.set(key, entry, () => this.evicted++);
    return entry;
  }

  /**
   * The request an answer to `remote` belongs to, or null. An answer whose branch differs
   * from the remembered request's answers a superseded transaction and is ignored.
   */
  match(remote: string, msg: SipMessage): PendingRequest | null {
    const key = keyOf(remote, msg);
    if (key === null) return null;
    const e = this.table.get(key);
    if (e === undefined) return null;
    if (e.branch !== null && msg.branch !== null && e.branch !== msg.branch) return null;
    return e;
  }

  /** Forgets requests older than the ttl; call with the current packet time. */
  expire(now: number): void {
    this.table.expire(now);
  }

  private internUa(ua: string | null): string | null {
    if (ua === null) return null;
    const hit = this.uaCache.get(ua);
    if (hit !== undefined) return hit;
    if (this.uaCache.size >= UA_CACHE_MAX) this.uaCache.clear();
    const copy = detach(ua)!;
    this.uaCache.set(copy, copy);
    return copy;
  }
}
