/**
 * What every rule of the Detector shares: the settings (read once from the config), the
 * tables (per source, per extension, trust, rates), the statistics, and the two outputs
 * (verdicts, alerts). The rules are functions over this context, one file each
 * (failures.ts, enumeration.ts, toll-rule.ts, breach.ts); detector.ts dispatches SIP
 * events to them. Nothing here reads a clock: every time is packet time, passed in.
 */
import { RequestTable } from '../sip/match.js';
import type { Config, Rule, Transport, Verdict } from '../types.js';
import { type Alert, alertText } from './alerts.js';
import { ExtensionTable } from './extension.js';
import { NearMisses } from './near-miss.js';
import { OutboundTable } from './outbound.js';
import { PrefixKeys } from './prefix.js';
import { FLOOD_WINDOW, RateTable } from './rate.js';
import { AlertedSources, EchoTable } from './shield.js';
import { IpTable } from './state.js';
import { usersOf } from './state-lists.js';
import { TrustTable } from './trust.js';

export type DetectorConfig = Pick<
  Config,
  'hitCount' | 'monitPeriod' | 'scanners' | 'enumUsers' | 'enumChallenges' | 'detection'
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
  /** Failed dialogs on an extension before its success is a breach alert (default 3). */
  breachMinFailures?: number;
  /** Keep near-miss peaks for replay's report (default off: the daemon does not pay for it). */
  nearMisses?: boolean;
  /**
   * Protected peers (the host's own addresses, resolvers, gateways, admin sessions,
   * PROTECTED_PEERS): never blocked on evidence a forged packet carries (shield.ts).
   */
  protectedPeer?: (ip: string) => boolean;
  /**
   * Dropped sources freed per step of a rotation's sweep (state.ts; default SWEEP_STEP;
   * Infinity: the whole sweep in the rotating call). Tests compare the two.
   */
  sweepStep?: number;
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
  /** Probes and unanswered challenges of trusted sources, not counted (trust.ts). */
  trustedProbes: number;
  /** Answers after accepted credentials (404, 480, 486, ...): routing results, not probes. */
  routingResults: number;
  tollProbes: number;
  scannerHits: number;
  templateHits: number;
  alerts: number;
  verdicts: number;
}

/** Where a verdict's request came from, for the record. */
export interface Origin {
  userAgent: string | null;
  transport: Transport;
  port: number;
}

const SLOW_GENERATION = 3 * 3600;

export class DetectContext {
  readonly period: number;
  readonly hitCount: number;
  readonly enumUsers: number;
  readonly enumChallenges: number;
  readonly grace: number;
  readonly userCap: number;
  readonly phoneMaxCv: number;
  readonly phoneMinInterval: number;
  readonly breachMin: number;
  readonly slowHour: number;
  readonly slowDay: number;
  readonly distSources: number;
  readonly distBlock: boolean;
  readonly tollCount: number;
  readonly tollMinDigits: number;
  readonly tollWatch: readonly string[];
  readonly templates: boolean;
  readonly requests: RequestTable;
  readonly ips: IpTable;
  readonly trust = new TrustTable();
  /** Challenges' nonces, peers the server's own requests reached, alerts raised (shield.ts). */
  readonly echo = new EchoTable();
  readonly outbound = new OutboundTable();
  readonly shieldAlerted = new AlertedSources();
  readonly protectedPeer: ((ip: string) => boolean) | null;
  readonly ext = new ExtensionTable();
  readonly prefix: PrefixKeys;
  readonly rate: RateTable | null;
  readonly near: NearMisses | null;
  /** Verdicts go here: the caller's array, set at every entry point. */
  out: Verdict[] = [];
  readonly alerts: Alert[] = [];
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
    trustedProbes: 0,
    routingResults: 0,
    tollProbes: 0,
    scannerHits: 0,
    templateHits: 0,
    alerts: 0,
    verdicts: 0,
  };

  constructor(config: DetectorConfig, opts: DetectorOptions) {
    const d = config.detection;
    this.period = config.monitPeriod;
    this.hitCount = Math.max(1, Math.floor(config.hitCount));
    this.enumUsers = Math.floor(config.enumUsers);
    this.enumChallenges = Math.floor(config.enumChallenges);
    this.grace = opts.followUpGrace ?? Math.min(10, config.monitPeriod);
    this.userCap = opts.maxUsersPerIp ?? 16;
    this.phoneMaxCv = opts.phoneMaxCv ?? 0.3;
    this.phoneMinInterval = opts.phoneMinInterval ?? 1;
    this.breachMin = opts.breachMinFailures ?? 3;
    this.slowHour = d.slowHour;
    this.slowDay = d.slowDay;
    this.distSources = d.distributedSources;
    this.distBlock = d.distributedBlock;
    this.tollCount = d.tollCount;
    this.tollMinDigits = d.tollMinDigits;
    this.tollWatch = d.tollWatch.slice();
    this.templates = d.scannerTemplates;
    this.protectedPeer = opts.protectedPeer ?? null;
    this.requests = new RequestTable({ maxEntries: opts.maxRequests, ttl: opts.requestTtl });
    const slow = this.slowHour > 0 || this.slowDay > 0 || this.distSources > 0;
    const generation = slow ? Math.max(config.monitPeriod, SLOW_GENERATION) : config.monitPeriod;
    this.ips = new IpTable(generation, this.hitCount, opts.sweepStep);
    this.prefix = new PrefixKeys(d.prefixV4, d.prefixV6);
    const floodLimit = d.floodRate * FLOOD_WINDOW;
    this.rate =
      floodLimit > 0 || d.sweepTargets > 0
        ? new RateTable(floodLimit, d.sweepTargets, config.monitPeriod)
        : null;
    this.near = opts.nearMisses ? new NearMisses() : null;
  }

  /** Records a verdict and drops the source's state: the next one needs new evidence. */
  emit(v: Verdict, key: string): void {
    this.stats.verdicts++;
    this.ips.delete(key);
    this.rate?.forget(key);
    this.near?.hit(v.rule, v.ip);
    this.out.push(v);
  }

  /** A verdict; `st` is the source's slot in `ips` (its users go into it), or -1. */
  verdict(
    st: number,
    rule: Rule,
    ip: string,
    key: string,
    at: number,
    attempts: number,
    src: Origin,
    extra: { phone?: boolean; detail?: string; users?: string[] } = {},
  ): void {
    const v: Verdict = {
      at,
      ip,
      rule,
      userAgent: src.userAgent,
      attempts,
      users: extra.users ?? (st < 0 ? [] : usersOf(this.ips, st)),
      transport: src.transport,
      port: src.port,
      misconfiguredPhone: extra.phone ?? false,
    };
    if (extra.detail !== undefined) v.detail = extra.detail;
    this.emit(v, key);
  }

  alert(a: Omit<Alert, 'text'>): void {
    this.stats.alerts++;
    this.alerts.push({ ...a, text: alertText(a) });
  }
}
