/**
 * Detection: SIP events between remote addresses and the local server → Verdicts.
 *
 * - scanner: a request whose User-Agent contains a listed fragment → at once.
 * - auth-failures: HIT_COUNT failed attempts within MONIT_PERIOD from one address →
 *   at that attempt. A failed attempt is a final 401/407 to a request that carried
 *   credentials (not with stale=true), any 403, or a 404 to a REGISTER.
 * - enumeration: ENUM_USERS distinct users probed without success within MONIT_PERIOD,
 *   or ENUM_CHALLENGES challenges left unanswered within MONIT_PERIOD. A probe is a
 *   403/404 answer, or a challenge (401/407 to a request without credentials) that is
 *   not followed by a request with credentials for the same Call-ID and user within the
 *   follow-up grace. Phones answer a challenge within milliseconds, so a NAT full of
 *   working phones never accumulates probes.
 *
 * Each address reports a transition once: its state is dropped after a verdict, so the
 * next one needs a full window of new evidence (the policy renews a running block from
 * the packets themselves). Time is packet time, passed in; `advance(now)` must be called
 * as time moves (the Engine does so on every event and tick).
 */
import {
  HASH,
  hashEnd,
  hashNum,
  hashOne,
  hashStart,
  hashStr,
  identityUser,
  type PendingRequest,
  RequestTable,
  targetUser,
} from '../sip/match.js';
import type { Config, Rule, SipEvent, Transport, Verdict } from '../types.js';
import { ExpiringMap } from './expiring.js';
import { ScannerMatcher } from './scanner.js';
import { addProbe, addUser, type IpState, IpTable, removeProbe, usersOf } from './state.js';
import { newRing, ringFull, ringIntervals, ringPush } from './window.js';

export type DetectorConfig = Pick<
  Config,
  'hitCount' | 'monitPeriod' | 'scanners' | 'enumUsers' | 'enumChallenges'
>;

export interface DetectorOptions {
  /** Seconds a challenged request has to be followed up with credentials (default min(10, MONIT_PERIOD)). */
  followUpGrace?: number;
  /** Request table bound and ttl (defaults 200k, 32 s). */
  maxRequests?: number;
  requestTtl?: number;
  /** Most challenges awaiting a follow-up at once (default 200k). */
  maxPendingChallenges?: number;
  /** Users remembered per address for reports (default 16). */
  maxUsersPerIp?: number;
  /** Misconfigured phone: coefficient of variation of the retry intervals below this (default 0.3). */
  phoneMaxCv?: number;
  /** Misconfigured phone: mean retry interval at least this many seconds (default 1). */
  phoneMinInterval?: number;
}

/** A challenge waiting for the follow-up request with credentials. */
interface Challenge {
  at: number;
  /** Second hash of the key, to tell a hash collision from the same challenge. */
  verify: number;
  ip: string;
  user: string | null;
  userAgent: string | null;
  transport: Transport;
  port: number;
}

export interface DetectorStats {
  requests: number;
  responses: number;
  matched: number;
  unmatched: number;
  retransmissions: number;
  failures: number;
  challenges: number;
  followUps: number;
  unansweredChallenges: number;
  probes: number;
  scannerHits: number;
  verdicts: number;
}

export class Detector {
  readonly scanners: ScannerMatcher;
  readonly requests: RequestTable;
  private readonly ips: IpTable;
  private readonly pending: ExpiringMap<number, Challenge>;
  private readonly period: number;
  private readonly hitCount: number;
  private readonly enumUsers: number;
  private readonly enumChallenges: number;
  private readonly grace: number;
  private readonly userCap: number;
  private readonly phoneMaxCv: number;
  private readonly phoneMinInterval: number;
  readonly stats: DetectorStats = {
    requests: 0,
    responses: 0,
    matched: 0,
    unmatched: 0,
    retransmissions: 0,
    failures: 0,
    challenges: 0,
    followUps: 0,
    unansweredChallenges: 0,
    probes: 0,
    scannerHits: 0,
    verdicts: 0,
  };

  constructor(config: DetectorConfig, opts: DetectorOptions = {}) {
    this.period = config.monitPeriod;
    this.hitCount = Math.max(1, Math.floor(config.hitCount));
    this.enumUsers = Math.floor(config.enumUsers);
    this.enumChallenges = Math.floor(config.enumChallenges);
    this.grace = opts.followUpGrace ?? Math.min(10, config.monitPeriod);
    this.userCap = opts.maxUsersPerIp ?? 16;
    this.phoneMaxCv = opts.phoneMaxCv ?? 0.3;
    this.phoneMinInterval = opts.phoneMinInterval ?? 1;
    this.scanners = new ScannerMatcher(config.scanners);
    this.requests = new RequestTable({ maxEntries: opts.maxRequests, ttl: opts.requestTtl });
    this.ips = new IpTable(config.monitPeriod);
    this.pending = new ExpiringMap(opts.maxPendingChallenges ?? 200_000, this.grace);
  }

  /** Addresses with detection state. */
  get trackedIps(): number {
    return this.ips.size;
  }

  /** Challenges awaiting a follow-up. */
  get pendingChallenges(): number {
    return this.pending.size;
  }

  /** A request that `remote` sent to a local SIP port. */
  onRequest(ev: SipEvent, remote: string, out: Verdict[]): void {
    this.stats.requests++;
    const msg = ev.msg;
    if (msg.userAgent !== null) {
      const i = this.scanners.match(msg.userAgent);
      if (i >= 0) {
        this.stats.scannerHits++;
        const user = msg.authUser ?? msg.toUser;
        this.emit(out, {
          at: ev.at,
          ip: remote,
          rule: 'scanner',
          userAgent: msg.userAgent,
          attempts: 1,
          users: user === null ? [] : [user],
          transport: ev.transport,
          port: ev.dport,
          misconfiguredPhone: false,
        });
        return;
      }
    }
    // An ACK is never answered; it would only take room in the table.
    if (msg.method === 'ACK') return;
    const req = this.requests.remember(remote, ev);
    if (req !== null && msg.hasCredentials && this.resolveChallenge(req)) this.stats.followUps++;
  }

  /** The local server's answer to `remote`. */
  onResponse(ev: SipEvent, remote: string, out: Verdict[]): void {
    this.stats.responses++;
    const status = ev.msg.status;
    if (status === null || status < 200) return;
    const req = this.requests.match(remote, ev.msg);
    if (req === null) {
      this.stats.unmatched++;
      return;
    }
    this.stats.matched++;
    if (req.answered !== 0) {
      this.stats.retransmissions++;
      return;
    }
    this.requests.setAnswered(status);
    const at = ev.at;
    if (status < 300) {
      this.onSuccess(req);
      return;
    }
    if (status === 401 || status === 407) {
      if (!req.hasCredentials) this.onChallenge(req, at, out);
      else if (!ev.msg.stale) this.onFailure(req, at, out);
    } else if (status === 403) {
      if (!this.onFailure(req, at, out)) this.onProbe(req, at, out);
    } else if (status === 404) {
      if (req.method === 'REGISTER' && this.onFailure(req, at, out)) return;
      this.onProbe(req, at, out);
    }
  }

  /** Moves packet time on: expires requests, judges unanswered challenges, drops idle state. */
  advance(now: number, out: Verdict[]): void {
    this.requests.expire(now);
    const due = this.pending.oldestAt();
    if (due !== null && due + this.grace <= now) {
      this.pending.expire(now, (_k, c) => this.onUnanswered(c, c.at + this.grace, out));
    }
    this.ips.rotate(now);
  }

  /** Drops an address's detection state (after a verdict, or when the policy says so). */
  forget(ip: string): void {
    this.ips.delete(ip);
  }

  /** Hashes remote + Call-ID + identity user into HASH (a challenge's key). */
  private challengeKey(req: PendingRequest): void {
    hashStart();
    hashStr(req.remote);
    hashNum(req.callHash);
    hashStr(identityUser(req) ?? '');
    hashEnd();
  }

  /** Drops the challenge this request follows up (or succeeded after). */
  private resolveChallenge(req: PendingRequest): boolean {
    if (this.pending.size === 0) return false;
    this.challengeKey(req);
    const c = this.pending.get(HASH.h1);
    if (c === undefined || c.verify !== HASH.h2) return false;
    return this.pending.delete(HASH.h1);
  }

  private onSuccess(req: PendingRequest): void {
    this.resolveChallenge(req);
    const st = this.ips.get(req.remote);
    if (st === undefined) return;
    const user = identityUser(req);
    if (user !== null) removeProbe(st, hashOne(user));
  }

  private onChallenge(req: PendingRequest, at: number, out: Verdict[]): void {
    this.stats.challenges++;
    this.challengeKey(req);
    const key = HASH.h1;
    const verify = HASH.h2;
    if (this.pending.get(key)?.verify === verify) return;
    // A different challenge sharing the first hash (rare: ~1 in 5,000 with 200k pending)
    // replaces it; the lost one is simply not counted.
    const c: Challenge = {
      at,
      verify,
      ip: req.remote,
      user: identityUser(req),
      userAgent: req.userAgent,
      transport: req.transport,
      port: req.port,
    };
    // A full table judges its oldest challenge early rather than losing it.
    this.pending.set(key, c, (_k, old) => this.onUnanswered(old, at, out));
  }

  /** Returns true if the failure produced a verdict. */
  private onFailure(req: PendingRequest, at: number, out: Verdict[]): boolean {
    this.stats.failures++;
    const st = this.ips.getOrCreate(req.remote);
    if (st.fails === null) st.fails = newRing(this.hitCount);
    st.failHead = ringPush(st.fails, st.failHead, at);

    const user = targetUser(req);
    const uh = hashOne(user);
    const ch = req.callHash;
    const cseq = req.cseq;
    if (st.phoneRun > 0 && uh === st.phoneUser && ch === st.phoneCall && cseq > st.phoneCseq) {
      st.phoneRun++;
    } else {
      st.phoneRun = 1;
      st.phoneUser = uh;
      st.phoneCall = ch;
    }
    st.phoneCseq = cseq;
    addUser(st, user, this.userCap);

    if (!ringFull(st.fails, st.failHead, at, this.period)) return false;
    let phone = false;
    if (st.phoneRun >= this.hitCount) {
      const { mean, cv } = ringIntervals(st.fails, st.failHead);
      phone = cv < this.phoneMaxCv && mean >= this.phoneMinInterval;
    }
    this.verdict(out, st, 'auth-failures', req.remote, at, this.hitCount, req, phone);
    return true;
  }

  private onProbe(req: PendingRequest, at: number, out: Verdict[]): void {
    this.stats.probes++;
    if (this.enumUsers <= 0) return;
    const user = identityUser(req);
    if (user === null) return;
    const st = this.ips.getOrCreate(req.remote);
    addUser(st, user, this.userCap);
    const n = addProbe(st, hashOne(user), at, this.period, this.enumUsers);
    if (n >= this.enumUsers) this.verdict(out, st, 'enumeration', req.remote, at, n, req, false);
  }

  /** A challenge that was never followed up with credentials, judged at `now`. */
  private onUnanswered(c: Challenge, now: number, out: Verdict[]): void {
    this.stats.unansweredChallenges++;
    const st = this.ips.getOrCreate(c.ip);
    addUser(st, c.user, this.userCap);
    if (this.enumChallenges > 0) {
      if (st.unanswered === null) st.unanswered = newRing(this.enumChallenges);
      st.unansweredHead = ringPush(st.unanswered, st.unansweredHead, c.at);
      if (ringFull(st.unanswered, st.unansweredHead, c.at, this.period)) {
        this.verdict(out, st, 'enumeration', c.ip, now, this.enumChallenges, c, false);
        return;
      }
    }
    if (this.enumUsers > 0 && c.user !== null) {
      const n = addProbe(st, hashOne(c.user), c.at, this.period, this.enumUsers);
      if (n >= this.enumUsers) this.verdict(out, st, 'enumeration', c.ip, now, n, c, false);
    }
  }

  private verdict(
    out: Verdict[],
    st: IpState,
    rule: Rule,
    ip: string,
    at: number,
    attempts: number,
    src: { userAgent: string | null; transport: Transport; port: number },
    misconfiguredPhone: boolean,
  ): void {
    this.emit(out, {
      at,
      ip,
      rule,
      userAgent: src.userAgent,
      attempts,
      users: usersOf(st),
      transport: src.transport,
      port: src.port,
      misconfiguredPhone,
    });
  }

  private emit(out: Verdict[], v: Verdict): void {
    this.stats.verdicts++;
    this.ips.delete(v.ip);
    out.push(v);
  }
}
