/**
 * Detection: SIP events between remote sources and the local server → Verdicts (and
 * Alerts). This file dispatches; each rule lives in its own file:
 *
 * - scanner (here): a User-Agent containing a SCANNERS fragment, or a request built on
 *   a known attack tool's template (fingerprint.ts, SCANNER_TEMPLATES) → at once; a
 *   source sending to SWEEP_TARGETS local address:port pairs (rate.ts).
 * - flood (rate.ts): FLOOD_RATE requests a second from one source, over 5 s.
 * - auth-failures, slow-attack, distributed (failures.ts, extension.ts): failed attempts
 *   — a final 401/407 to a request that carried credentials (not with stale=true), any
 *   403, a 404 to a REGISTER.
 * - enumeration (enumeration.ts): probes of many users, challenges left unanswered.
 * - toll-fraud (toll.ts, toll-rule.ts): refused INVITEs to outside numbers.
 * - alerts (breach.ts): success after failures; trust (trust.ts) from accepted credentials.
 *
 * Counters are kept per source prefix (prefix.ts); verdicts name the address. A verdict
 * drops the source's state, so the next one needs new evidence (the policy renews a
 * running block from the packets themselves). Time is packet time, passed in;
 * `advance(now)` must be called as time moves (the Engine does so on every event and
 * tick). Only requests FROM remote sources reach onRequest (the Engine tells direction
 * by SIP_PORTS and ignores the host's own addresses), so the server's own NOTIFYs,
 * OPTIONS qualifies and calls to trunks never count against anyone.
 */
import { HASH, identityUser, type PendingRequest, type RequestTable } from '../sip/match.js';
import type { SipEvent, Verdict } from '../types.js';
import type { Alert } from './alerts.js';
import { onCredentialSuccess, onOutsideCall } from './breach.js';
import { DetectContext, type DetectorConfig, type DetectorOptions, type DetectorStats } from './context.js';
import { type Challenge, challengeKey, forgetProbe, onProbe, onUnanswered } from './enumeration.js';
import { ExpiringMap } from './expiring.js';
import { onFailure } from './failures.js';
import { TEMPLATE_NAMES, toolTemplate } from './fingerprint.js';
import type { NearMiss } from './near-miss.js';
import { ScannerMatcher } from './scanner.js';
import { shielded } from './shielded.js';
import { isTollRefusal, outsideNumber, watchedPrefix } from './toll.js';
import { onTollFollowUp, onTollRefusal } from './toll-rule.js';

export type { DetectorConfig, DetectorOptions, DetectorStats } from './context.js';

export class Detector {
  readonly scanners: ScannerMatcher;
  readonly requests: RequestTable;
  private readonly c: DetectContext;
  private readonly pending: ExpiringMap<Challenge>;

  constructor(config: DetectorConfig, opts: DetectorOptions = {}) {
    this.c = new DetectContext(config, opts);
    this.requests = this.c.requests;
    this.scanners = new ScannerMatcher(config.scanners);
    this.pending = new ExpiringMap(opts.maxPendingChallenges ?? 200_000, this.c.grace);
  }

  get stats(): DetectorStats {
    return this.c.stats;
  }

  /** Sources with detection state. */
  get trackedIps(): number {
    return this.c.ips.size;
  }

  /** Dropped sources a rotation's sweep has not freed yet (tests). */
  get sweeping(): number {
    return this.c.ips.sweeping;
  }

  /** Challenges awaiting a follow-up. */
  get pendingChallenges(): number {
    return this.pending.size;
  }

  /** Alerts raised since the caller last emptied this array (the Engine does, after each call). */
  get alerts(): Alert[] {
    return this.c.alerts;
  }

  /** The prefix key a source is counted under. */
  keyOf(ip: string): string {
    return this.c.prefix.key(ip);
  }

  /** Near misses per rule (top `n` each), when built with `nearMisses`; else []. */
  nearMisses(n: number): NearMiss[] {
    return this.c.near?.top(n) ?? [];
  }

  /** A request that `remote` sent to a local SIP port. */
  onRequest(ev: SipEvent, remote: string, out: Verdict[]): void {
    const c = this.c;
    c.out = out;
    c.stats.requests++;
    const msg = ev.msg;
    if (c.rate !== null && this.rateRule(ev, remote)) return;
    if (msg.userAgent !== null) {
      const i = this.scanners.match(msg.userAgent);
      if (i >= 0) {
        c.stats.scannerHits++;
        if (!shielded(c, ev, remote, 'a scanner User-Agent')) {
          this.scanner(ev, remote, undefined);
          return;
        }
      }
    }
    if (c.templates) {
      const t = toolTemplate(msg);
      if (t !== null) {
        c.stats.templateHits++;
        if (!shielded(c, ev, remote, `the ${TEMPLATE_NAMES[t]} request template`)) {
          this.scanner(ev, remote, TEMPLATE_NAMES[t]);
          return;
        }
      }
    }
    // An ACK is never answered; it would only take room in the table.
    if (msg.method === 'ACK') return;
    const req = this.requests.remember(remote, ev);
    if (req === null || !msg.hasCredentials) return;
    if (this.resolveChallenge(req)) {
      c.stats.followUps++;
      this.requests.markFollowUp();
    }
    if (req.method === 'INVITE') onTollFollowUp(c, req);
  }

  /** The local server's answer to `remote`. */
  onResponse(ev: SipEvent, remote: string, out: Verdict[]): void {
    const c = this.c;
    c.out = out;
    c.stats.responses++;
    const status = ev.msg.status;
    if (status === null) return;
    // The nonce went to the real peer only: echoing it later proves the source (shield.ts).
    if ((status === 401 || status === 407) && ev.msg.nonce) c.echo.issue(remote, ev.msg.nonce, ev.at);
    if (status < 200) {
      if ((status === 183 || status === 180) && ev.msg.method === 'INVITE') this.callProgress(ev, remote);
      return;
    }
    const req = this.requests.match(remote, ev.msg);
    if (req === null) {
      c.stats.unmatched++;
      return;
    }
    c.stats.matched++;
    if (req.answered !== 0) {
      c.stats.retransmissions++;
      return;
    }
    this.requests.setAnswered(status);
    if (status < 300) this.onSuccess(req, ev.at);
    else this.onRefusal(req, status, ev.msg.stale, ev.at);
  }

  /**
   * A verdict about a protected peer (the host's own addresses, resolvers, gateways,
   * admin sessions, PROTECTED_PEERS) is held back whatever its rule: an alert instead of a
   * block (the lock-out guard for dynamic blocks, shield.ts). True when held back.
   */
  holdsBack(v: Verdict): boolean {
    const c = this.c;
    if (!c.protectedPeer?.(v.ip)) return false;
    if (c.shieldAlerted.take(v.ip, v.at)) {
      c.alert({
        at: v.at,
        kind: 'shielded',
        ip: v.ip,
        user: v.users[0] ?? null,
        dialled: `a ${v.rule} verdict (${v.attempts} attempts) against a protected peer`,
        failures: v.attempts,
        sources: [],
        userAgent: v.userAgent,
        transport: v.transport,
        port: v.port,
      });
    }
    return true;
  }

  /**
   * An event the Engine does not judge (the local server's own traffic): a request it sent
   * to a peer, and that peer's 2xx answer, which proves the peer (outbound.ts).
   */
  onLocal(ev: SipEvent, srcLocal: boolean, dstLocal: boolean): void {
    const c = this.c;
    if (ev.msg.kind === 'request') {
      if (srcLocal && !dstLocal) c.outbound.sent(ev.dst, ev);
    } else if (dstLocal && !srcLocal && c.outbound.answered(ev.src, ev)) {
      c.trust.mark(c.prefix.key(ev.src), ev.at);
    }
  }

  /** Moves packet time on: expires requests, judges unanswered challenges, drops idle state. */
  advance(now: number, out: Verdict[]): void {
    const c = this.c;
    c.out = out;
    this.requests.expire(now);
    const due = this.pending.oldestAt();
    if (due !== null && due + c.grace <= now) {
      this.pending.expire(now, (_k, ch) => onUnanswered(c, ch, ch.at + c.grace));
    }
    c.ips.rotate(now);
    c.ext.rotate(now);
  }

  /**
   * The earliest packet time advance() has work that changes what later events meet: an
   * unanswered challenge to judge, a generation of state to rotate (+Infinity: none). The
   * request table's expiry is left to the next advance (it ends the same way whenever it runs).
   */
  nextDue(): number {
    const c = this.c;
    const oldest = this.pending.oldestAt();
    return Math.min(
      oldest === null ? Infinity : oldest + c.grace,
      c.ips.nextRotation(),
      c.ext.nextRotation(),
    );
  }

  /** Drops a source's detection state (after a verdict, or when the policy says so). */
  forget(ip: string): void {
    const key = this.c.prefix.key(ip);
    this.c.ips.delete(key);
    this.c.rate?.forget(key);
  }

  /** Flood and sweep, for every request; true if a verdict was given. */
  private rateRule(ev: SipEvent, remote: string): boolean {
    const c = this.c;
    const key = c.prefix.key(remote);
    const m = ev.msg.method;
    const sweepable = m === 'OPTIONS' || m === 'REGISTER' || m === 'INVITE';
    const r = c.rate!.request(key, ev.dst, ev.dport, ev.at, sweepable);
    if (c.near !== null && c.rate!.peak > 1) {
      c.near.record('flood', remote, Math.floor(c.rate!.peak), c.rate!.floodLimit, ev.at);
    }
    if (r.flood === 0 && r.sweep === 0) return false;
    const origin = { userAgent: ev.msg.userAgent, transport: ev.transport, port: ev.dport };
    if (r.flood > 0) {
      // A flood needs no answer: in the name of a proven address it is held back (shield.ts).
      if (shielded(c, ev, remote, `a flood (${r.flood} requests within 5 s)`, false)) return true;
      const detail = `${r.flood} requests within 5 s`;
      c.verdict(c.ips.get(key), 'flood', remote, key, ev.at, r.flood, origin, { detail });
      return true;
    }
    if (r.sweep > 0 && !c.trust.trusted(key, ev.at)) {
      const detail = `sweep of ${r.sweep} local address:port pairs`;
      const user = ev.msg.toUser;
      c.verdict(-1, 'scanner', remote, key, ev.at, r.sweep, origin, { detail, users: user ? [user] : [] });
      return true;
    }
    return false;
  }

  private scanner(ev: SipEvent, remote: string, detail: string | undefined): void {
    const msg = ev.msg;
    const user = msg.authUser ?? msg.toUser;
    const origin = { userAgent: msg.userAgent, transport: ev.transport, port: ev.dport };
    const extra = { users: user === null ? [] : [user], ...(detail === undefined ? {} : { detail }) };
    this.c.verdict(-1, 'scanner', remote, this.c.prefix.key(remote), ev.at, 1, origin, extra);
  }

  /** Drops the challenge this request follows up (or succeeded after). */
  private resolveChallenge(req: PendingRequest): boolean {
    if (this.pending.size === 0) return false;
    challengeKey(req);
    const ch = this.pending.get(HASH.h1);
    if (ch === undefined || ch.verify !== HASH.h2) return false;
    return this.pending.delete(HASH.h1);
  }

  private onSuccess(req: PendingRequest, at: number): void {
    const c = this.c;
    this.resolveChallenge(req);
    const key = c.prefix.key(req.remote);
    const st = c.ips.size > 0 ? c.ips.get(key) : -1;
    if (st >= 0) forgetProbe(c.ips, st, req);
    if (req.hasCredentials) onCredentialSuccess(c, req, key, st, at);
    if (req.method === 'INVITE') {
      const n = outsideNumber(req.uriUser, this.c.tollMinDigits);
      if (n !== null) onOutsideCall(this.c, req, req.uriUser!, n, at);
    }
  }

  /** A final answer >= 300. */
  private onRefusal(req: PendingRequest, status: number, stale: boolean, at: number): void {
    const c = this.c;
    if (req.method === 'INVITE' && isTollRefusal(status) && !stale) {
      const n = outsideNumber(req.uriUser, c.tollMinDigits);
      if (n !== null) {
        if (onTollRefusal(c, req, req.uriUser!, n, status, at)) return;
        // A number is not a user: never an enumeration probe.
        if (status === 401 || status === 407) {
          if (!req.hasCredentials)
            this.onChallenge(req, at, watchedPrefix(n, c.tollWatch) ? req.uriUser : null);
          else onFailure(c, req, at);
        } else if (status === 403) {
          onFailure(c, req, at);
        }
        return;
      }
    }
    if (status === 401 || status === 407) {
      if (!req.hasCredentials) this.onChallenge(req, at, null);
      else if (!stale) onFailure(c, req, at);
    } else if (status === 403) {
      if (!onFailure(c, req, at) && !req.hasCredentials) onProbe(c, req, at);
    } else if (status === 404 && req.method === 'REGISTER') {
      if (!onFailure(c, req, at) && !req.hasCredentials) onProbe(c, req, at);
    } else if (req.hasCredentials) {
      // The credentials were accepted and the request routed: a wrong number, an unknown
      // extension, a busy or unavailable line, a BLF on a deleted extension.
      c.stats.routingResults++;
    } else if (status === 404) {
      onProbe(c, req, at);
    }
  }

  private onChallenge(req: PendingRequest, at: number, watched: string | null): void {
    this.c.stats.challenges++;
    challengeKey(req);
    const key = HASH.h1;
    const verify = HASH.h2;
    if (this.pending.get(key)?.verify === verify) return;
    // A different challenge sharing the first hash (rare: ~1 in 5,000 with 200k pending)
    // replaces it; the lost one is simply not counted.
    const ch: Challenge = {
      at,
      verify,
      ip: req.remote,
      user: identityUser(req),
      userAgent: req.userAgent,
      transport: req.transport,
      port: req.port,
      watched,
    };
    // A full table judges its oldest challenge early rather than losing it.
    this.pending.set(key, ch, (_k, old) => onUnanswered(this.c, old, at));
  }

  /** A 180/183 to an INVITE: a call to an outside number getting through. */
  private callProgress(ev: SipEvent, remote: string): void {
    const req = this.requests.match(remote, ev.msg);
    if (req === null || req.alerted) return;
    const n = outsideNumber(req.uriUser, this.c.tollMinDigits);
    if (n !== null) onOutsideCall(this.c, req, req.uriUser!, n, ev.at);
  }
}
