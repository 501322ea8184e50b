/**
 * The one decision path, used by replay and by the live daemon alike: SipEvents in
 * packet time → matching and detection → policy → Decisions.
 *
 * - Direction comes from SIP_PORTS: a request to a SIP port is from the remote `src`;
 *   an answer from a SIP port is the local server's answer to the remote `dst`. Events
 *   whose remote side is one of the host's own addresses are ignored (a PBX talking to
 *   a trunk or ringing a phone from port 5060 is not an attacker).
 * - A request from an address the policy holds blocked is not judged again: it renews
 *   the block (the transition to blocked is reported once). Answers to it are ignored.
 * - Time moves with the events (and with `tick` from a clock): each call first lifts
 *   the blocks that ran out and judges challenges left unanswered, so a packet after
 *   BLOCKTIME of silence meets a lifted block, in replay as live.
 * - A request from an address of a prefix the policy holds (PREFIX_BLOCK) blocks that
 *   address at once.
 * - Observe mode: "would block" decisions (action `observe`) go to `onObserve` only,
 *   never into the returned decisions that an enforcer carries out. Alerts (breach,
 *   distributed guessing, watched calls) go to `onAlert`, as they are raised.
 * - Without `localAddresses` (replay of a capture), an address that sends a 401/407
 *   challenge from a SIP port is taken as the local server from then on: its own
 *   requests (NOTIFY, OPTIONS qualify, calls to trunks) then never count against it.
 *   The live daemon passes the host's addresses and learns nothing from the wire.
 */
import type { Alert } from './detect/alerts.js';
import { Detector, type DetectorOptions, type DetectorStats } from './detect/detector.js';
import type { NearMiss } from './detect/near-miss.js';
import { PortSet, remoteOf } from './detect/ports.js';
import { LocalAddresses } from './local-addresses.js';
import { Policy, type PolicyDeps, type PolicyStats } from './policy/policy.js';
import { V4_UNKNOWN } from './policy/source-slots.js';
import { LEAN_REQUEST, LEAN_RESPONSE, START_REQUEST, START_RESPONSE } from './sip/parse.js';
import {
  type BlockRecord,
  type Config,
  type Decision,
  type DecisionAction,
  RULES,
  type Rule,
  type SipEvent,
  type Verdict,
} from './types.js';

const ACTIONS: readonly DecisionAction[] = ['block', 'extend', 'permanent', 'unblock', 'observe'];
/** What onEvent returns when an event decided nothing (most do). */
const NONE: Decision[] = Object.freeze([]) as unknown as Decision[];

export interface EngineDeps extends PolicyDeps {
  /** The host's own addresses: never treated as remote. */
  localAddresses?: Iterable<string>;
  /**
   * Protected peers: never dynamically blocked, whatever the rule; an alert instead
   * (issue 10 item 7, core/detect/shield.ts). The daemon's lookup: the host's own
   * addresses, resolvers, gateways, SSH and web admin peers, PROTECTED_PEERS.
   */
  protectedPeer?: (ip: string) => boolean;
  /** Tuning of tables and windows (tests, benches). */
  detector?: DetectorOptions;
  /** Told of every verdict (attacks for reports), blocked address or not. */
  onVerdict?: (v: Verdict) => void;
  /** Told of every alert (breach, distributed guessing, watched call), at once. */
  onAlert?: (a: Alert) => void;
  /** Told of every "would block" (OBSERVE); without it they are only counted. */
  onObserve?: (d: Decision) => void;
}

export interface EngineStats {
  events: number;
  requests: number;
  responses: number;
  /** Not between a remote address and a local SIP port. */
  ignored: number;
  /** Remote side is one of the host's own addresses. */
  local: number;
  /** Requests from addresses under a block. */
  blockedPackets: number;
  verdicts: Record<Rule, number>;
  /** Verdicts about addresses already blocked. */
  repeatVerdicts: number;
  alerts: number;
  decisions: Record<DecisionAction, number>;
  trackedIps: number;
  pendingRequests: number;
  pendingChallenges: number;
  activeBlocks: number;
  detector: DetectorStats;
  policy: PolicyStats;
}

export class Engine {
  readonly detector: Detector;
  readonly policy: Policy;
  private readonly ports: PortSet;
  private readonly local = new LocalAddresses();
  private readonly inferLocal: boolean;
  private readonly onVerdict: ((v: Verdict) => void) | undefined;
  private readonly onAlert: ((a: Alert) => void) | undefined;
  private readonly onObserve: ((d: Decision) => void) | undefined;
  private readonly verdicts: Verdict[] = [];
  /** onEvent's decisions so far (handed over by done()). */
  private buf: Decision[] = [];
  private now = Number.NEGATIVE_INFINITY;
  private readonly counts = {
    events: 0,
    requests: 0,
    responses: 0,
    ignored: 0,
    local: 0,
    blockedPackets: 0,
    repeatVerdicts: 0,
    alerts: 0,
    verdicts: Object.fromEntries(RULES.map((r) => [r, 0])) as Record<Rule, number>,
    decisions: Object.fromEntries(ACTIONS.map((a) => [a, 0])) as Record<DecisionAction, number>,
  };

  constructor(config: Config, deps: EngineDeps) {
    this.ports = new PortSet(config.sipPorts);
    for (const ip of deps.localAddresses ?? []) this.local.add(ip);
    this.inferLocal = deps.localAddresses === undefined;
    this.onVerdict = deps.onVerdict;
    this.onAlert = deps.onAlert;
    this.onObserve = deps.onObserve;
    this.detector = new Detector(config, {
      ...deps.detector,
      ...(deps.protectedPeer ? { protectedPeer: deps.protectedPeer } : {}),
    });
    const prefixOf = (ip: string) => this.detector.keyOf(ip);
    // The same protection decides whether a held prefix may be blocked whole (a network: any address in it).
    const protectedIn = deps.protectedPeer;
    this.policy = new Policy(config, { lists: deps.lists, country: deps.country, prefixOf, protectedIn });
  }

  /**
   * One SIP event; returns the decisions it (and the time it brings) caused. Most events
   * cause none: they get one shared, frozen empty array (no allocation per packet), so the
   * caller reads what it gets and never modifies it.
   */
  onEvent(ev: SipEvent): Decision[] {
    const out = this.buf;
    this.advance(ev.at, out);
    this.counts.events++;
    const remote = remoteOf(ev, this.ports);
    if (remote === null) {
      this.counts.ignored++;
      this.detector.onLocal(ev, this.local.has(ev.src), this.local.has(ev.dst));
      return this.done();
    }
    if (this.local.has(remote)) {
      this.counts.local++;
      // The server's own requests and their answers prove the peers it talks to (outbound.ts).
      this.detector.onLocal(ev, this.local.has(ev.src), this.local.has(ev.dst));
      return this.done();
    }
    if (ev.msg.kind === 'request') {
      this.counts.requests++;
      // One lookup: a blocked address's request renews its block and is not judged again.
      const renewed = this.policy.packetIfBlocked(remote, ev.at);
      if (renewed !== null) {
        this.counts.blockedPackets++;
        this.count(out, renewed);
        return this.done();
      }
      if (this.policy.holdsPrefixes) {
        const ds = this.policy.blockPrefixMember(remote, ev.at);
        if (ds.length > 0) {
          this.detector.forget(remote);
          this.count(out, ds);
          return this.done();
        }
      }
      this.detector.onRequest(ev, remote, this.verdicts);
    } else {
      this.counts.responses++;
      if (this.inferLocal) this.learnLocal(ev);
      if (this.policy.isBlocked(remote)) return this.done();
      this.detector.onResponse(ev, remote, this.verdicts);
    }
    if (this.verdicts.length > 0) this.judge(out);
    if (this.detector.alerts.length > 0) this.raise();
    return this.done();
  }

  /**
   * How much of a message from `src`:`sport` to `dst`:`dport` at packet time `at` its
   * judging reads (parse.ts's kinds; `asked`: those the caller can use — the daemon parses
   * answers whole for its evidence log, core/history/evidence.ts). Reads state, changes
   * none. The Decoder's `startOnly` asks it before parsing a datagram:
   * - START_REQUEST / START_RESPONSE: decided by the remote address alone, whatever the
   *   headers: the remote side is not one of the host's addresses and is held blocked by a
   *   block that cannot run out by `at` (a tick due by `at` could lift it first). onEvent
   *   then only renews the block (a request from it to a SIP port) or ignores the message
   *   (an answer to it from a SIP port, once `learnLocal` has read its status). Blocks only
   *   grow between this answer and onEvent of the same datagram.
   * - LEAN_RESPONSE: an answer from a SIP port to a remote address that is not the host's:
   *   onEvent reads its status, CSeq, Call-ID, branch and challenge only (learnLocal, the
   *   request table's match, the challenge echo, refusal and success): never its From, To,
   *   User-Agent or Contact. (Is the remote local is fixed until onEvent: learnLocal adds
   *   the answer's source, after the remote is judged.)
   * - LEAN_REQUEST: nothing in the engine reads a request's Contact.
   * `srcV4`, `dstV4`: the addresses as numbers when the caller read them from packet bytes
   * (-1: not IPv4; the Decoder hands them over: no text parsed again), else V4_UNKNOWN.
   */
  decidedByAddress(
    at: number,
    src: string,
    sport: number,
    dst: string,
    dport: number,
    asked = START_REQUEST | START_RESPONSE,
    srcV4 = V4_UNKNOWN,
    dstV4 = V4_UNKNOWN,
  ): number {
    const settled = this.policy.nextDue() > at;
    let kinds = asked & LEAN_REQUEST;
    if (
      settled &&
      (asked & START_REQUEST) !== 0 &&
      this.ports.has(dport) &&
      !this.local.has(src, srcV4) &&
      this.policy.isBlocked(src, srcV4)
    )
      kinds |= START_REQUEST;
    if (
      (asked & (START_RESPONSE | LEAN_RESPONSE)) !== 0 &&
      this.ports.has(sport) &&
      !this.local.has(dst, dstV4)
    ) {
      if (settled && (asked & START_RESPONSE) !== 0 && this.policy.isBlocked(dst, dstV4))
        kinds |= START_RESPONSE;
      else kinds |= asked & LEAN_RESPONSE;
    }
    return kinds;
  }

  /** The decisions collected in `buf`, handed over (a fresh buffer takes its place), or NONE. */
  private done(): Decision[] {
    const out = this.buf;
    if (out.length === 0) return NONE;
    this.buf = [];
    return out;
  }

  /** Near misses per rule (top `n` each) of addresses never blocked; needs `detector.nearMisses`. */
  nearMisses(n: number): NearMiss[] {
    const all = this.detector.nearMisses(n + 64);
    const out: NearMiss[] = [];
    const per = new Map<Rule, number>();
    for (const m of all) {
      if (this.policy.timesBlocked(m.subject) > 0 || this.policy.isBlocked(m.subject)) continue;
      const k = per.get(m.rule) ?? 0;
      if (k >= n) continue;
      per.set(m.rule, k + 1);
      out.push(m);
    }
    return out;
  }

  /**
   * When `tick` next has work (packet time; +Infinity: nothing waits): a block to lift, a
   * challenge to judge, detection state to rotate. A tick before then decides nothing: the
   * daemon's timer sleeps until it (daemon/periodic.ts).
   */
  nextDue(): number {
    return Math.min(this.policy.nextDue(), this.detector.nextDue());
  }

  /** Moves time on without an event (the daemon's clock): expiries and late verdicts. */
  tick(now: number): Decision[] {
    const out: Decision[] = [];
    this.advance(now, out);
    return out;
  }

  /** A block by hand; the allow list still wins. */
  block(ip: string, at: number, note: string | null = null): Decision[] {
    const out: Decision[] = [];
    this.advance(at, out);
    this.detector.forget(ip);
    return this.count(out, this.policy.block(ip, at, 'manual', note));
  }

  /** Lifts a block by hand; `forgetHistory` resets the count toward the threshold. */
  unblock(ip: string, at: number, opts: { forgetHistory?: boolean; host?: string } = {}): Decision[] {
    const out: Decision[] = [];
    this.advance(at, out);
    this.detector.forget(ip);
    return this.count(out, this.policy.unblock(ip, at, opts));
  }

  /** A block decided on another host of a cluster (Policy.adopt): the allow list still wins here. */
  adopt(rec: BlockRecord, at: number): Decision[] {
    const out: Decision[] = [];
    this.advance(at, out);
    return this.count(out, this.policy.adopt(rec, at));
  }

  /** Loads running blocks and block counts at start. */
  restore(records: Iterable<BlockRecord>, timesBlocked?: ReadonlyMap<string, number>): void {
    this.policy.restore(records, timesBlocked);
  }

  get stats(): EngineStats {
    const c = this.counts;
    return {
      events: c.events,
      requests: c.requests,
      responses: c.responses,
      ignored: c.ignored,
      local: c.local,
      blockedPackets: c.blockedPackets,
      verdicts: { ...c.verdicts },
      repeatVerdicts: c.repeatVerdicts,
      alerts: c.alerts,
      decisions: { ...c.decisions },
      trackedIps: this.detector.trackedIps,
      pendingRequests: this.detector.requests.size,
      pendingChallenges: this.detector.pendingChallenges,
      activeBlocks: this.policy.activeCount,
      detector: { ...this.detector.stats },
      policy: { ...this.policy.stats },
    };
  }

  private advance(at: number, out: Decision[]): void {
    if (!(at > this.now)) return;
    this.now = at;
    if (this.policy.nextDue() <= at) this.count(out, this.policy.tick(at));
    this.detector.advance(at, this.verdicts);
    if (this.verdicts.length > 0) this.judge(out);
    if (this.detector.alerts.length > 0) this.raise();
  }

  /** A challenge sent from a SIP port comes from the local server (replay only). */
  private learnLocal(ev: SipEvent): void {
    const s = ev.msg.status;
    if ((s !== 401 && s !== 407) || this.local.has(ev.src)) return;
    this.local.add(ev.src);
  }

  private raise(): void {
    const alerts = this.detector.alerts;
    for (const a of alerts) {
      this.counts.alerts++;
      this.onAlert?.(a);
    }
    alerts.length = 0;
  }

  private judge(out: Decision[]): void {
    for (const v of this.verdicts) {
      this.counts.verdicts[v.rule]++;
      this.onVerdict?.(v);
      if (this.policy.isBlocked(v.ip)) {
        this.counts.repeatVerdicts++;
        continue;
      }
      // A protected peer is never blocked dynamically: an alert says what it did.
      if (this.detector.holdsBack(v)) continue;
      this.count(out, this.policy.onVerdict(v));
    }
    this.verdicts.length = 0;
  }

  private count(out: Decision[], ds: Decision[]): Decision[] {
    for (const d of ds) {
      this.counts.decisions[d.action]++;
      if (d.action === 'observe') this.onObserve?.(d);
      else out.push(d);
    }
    return out;
  }
}
