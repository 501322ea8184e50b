/**
 * Policy: Verdicts + lists + countries + block history → Decisions. Whether an address may
 * be blocked at all (lists, countries) is gate.ts's; the held blocks are looked up by
 * address-map.ts.
 * - The allow list beats everything; deny-listed and country-blocked addresses are already dropped
 *   by the kernel, so a verdict about them decides nothing new.
 * - A dynamic block lasts BLOCKTIME; every new packet from the blocked address renews it (capture
 *   sees packets before the firewall); after BLOCKTIME of silence it lifts.
 * - The dynamic block that follows BLOCK_THRESHOLD earlier ones is permanent instead (0 = never),
 *   with a note saying why; the daemon appends it to the deny list.
 * - OBSERVE: a verdict of a rule in observe mode decides `observe` ("would block"), recorded and
 *   reported, never enforced, at most once per BLOCKTIME per address.
 * - PREFIX_BLOCK: see prefix-hold.ts; `blockPrefixMember` blocks an address of a held prefix with
 *   reason `prefix`, and the held prefix itself is blocked whole (a record whose ip is the network).
 * Renewals are tracked exactly, but reported at most once a second per address, so a flood does not
 * turn into a flood of decisions. A renewal left unreported when its last reported expiry comes due
 * is reported then (the firewall's element timed out). Expiry runs from a min-heap: `tick` costs
 * O(log n) per block due, never a scan. Unblock decisions carry the moment the block lifted (`at` =
 * its expiry), so replay and the live daemon agree whatever their tick rate.
 */

import type { BlockRecord, Config, Decision, DecisionReason, Rule, Verdict } from '../types.js';
import { AddressMap, V4_UNKNOWN } from './address-map.js';
import { bareRecord, decisionOf, verdictRecord } from './block-record.js';
import { type CountryLookup, gateOf, type ListLookup } from './gate.js';
import { MinHeap } from './heap.js';
import { blockNote, permanentNote } from './notes.js';
import { PrefixHolds } from './prefix-hold.js';

export type { CountryLookup, ListLookup };

export interface PolicyDeps {
  lists: ListLookup;
  country: CountryLookup;
  /** The prefix key of an address (PREFIX_V4/PREFIX_V6), for PREFIX_BLOCK; default: the address. */
  prefixOf?: (ip: string) => string;
  protectedIn?: (network: string) => boolean; // holds the admin: PREFIX_BLOCK never blocks it whole
}

export type PolicyConfig = Pick<Config, 'blockTime' | 'blockThreshold' | 'blockedCountries'> &
  Partial<Pick<Config, 'detection'>>;

/** Observed addresses kept before expired ones are pruned. */
const OBSERVED_PRUNE_AT = 100_000;

/** Least seconds between two reported renewals of one block. */
export const EXTEND_INTERVAL = 1;

interface Block {
  record: BlockRecord;
  /** Made permanent by the threshold (or restored so): never expires, never renews. */
  permanent: boolean;
  /** The expiry last reported in a decision (the firewall's timeout). */
  reported: number;
  lastDecisionAt: number;
}

export interface PolicyStats {
  verdicts: number;
  allowed: number;
  denied: number;
  country: number;
  alreadyBlocked: number;
  invalid: number;
  blocks: number;
  permanents: number;
  extends: number;
  unblocks: number;
  /** "Would block" decisions of rules in observe mode. */
  observed: number;
  /** Blocks of addresses in a held prefix. */
  prefixBlocks: number;
}

export class Policy {
  /** Dynamic and permanent blocks in one map: one lookup per packet. */
  private readonly held = new AddressMap<Block>();
  private permanentCount = 0;
  private readonly history = new Map<string, number>();
  private readonly heap = new MinHeap<Block>();
  private readonly countries: Set<string>;
  private readonly observeAll: boolean;
  private readonly observeRules: Set<Rule>;
  /** Addresses observed ("would block") until when: one report per BLOCKTIME. */
  private readonly watching = new Map<string, number>();
  private readonly prefixes: PrefixHolds;
  private readonly prefixOf: (ip: string) => string;
  readonly stats: PolicyStats = {
    verdicts: 0,
    allowed: 0,
    denied: 0,
    country: 0,
    alreadyBlocked: 0,
    invalid: 0,
    blocks: 0,
    permanents: 0,
    extends: 0,
    unblocks: 0,
    observed: 0,
    prefixBlocks: 0,
  };

  constructor(
    private readonly config: PolicyConfig,
    private readonly deps: PolicyDeps,
  ) {
    this.countries = new Set(config.blockedCountries.map((c) => c.toUpperCase()));
    const observe = config.detection?.observe ?? [];
    this.observeAll = observe.includes('all');
    this.observeRules = new Set(observe.filter((r): r is Rule => r !== 'all'));
    this.prefixes = new PrefixHolds(config.detection?.prefixBlock ?? 0, config.blockTime, deps.protectedIn);
    this.prefixOf = deps.prefixOf ?? ((ip) => ip);
  }

  /** Whether a rule's verdicts are observed only. */
  observes(rule: Rule): boolean {
    return this.observeAll || this.observeRules.has(rule);
  }

  /** Whether some prefix may be held (a cheap test before computing a prefix key). */
  get holdsPrefixes(): boolean {
    return this.prefixes.size > 0;
  }

  /** Addresses under a dynamic block. */
  get activeCount(): number {
    return this.held.size - this.permanentCount;
  }

  /**
   * Whether the policy holds the address blocked (dynamically or permanently). `v4`: the
   * address as a number when the caller read it from packet bytes (AddressMap.has).
   */
  isBlocked(ip: string, v4 = V4_UNKNOWN): boolean {
    return this.held.has(ip, v4);
  }

  /** The running dynamic block (or permanent record) of an address. */
  recordOf(ip: string): BlockRecord | undefined {
    return this.held.get(ip)?.record;
  }

  /** Running dynamic blocks. */
  *blocks(): IterableIterator<BlockRecord> {
    for (const b of this.held.values()) if (!b.permanent) yield b.record;
  }

  /** Blocks made permanent by the threshold (until the deny list takes them over). */
  *permanents(): IterableIterator<BlockRecord> {
    for (const b of this.held.values()) if (b.permanent) yield b.record;
  }

  /** How many dynamic blocks an address has had. */
  timesBlocked(ip: string): number {
    return this.history.get(ip) ?? 0;
  }

  /** A detection verdict: block, make permanent, or nothing. */
  onVerdict(v: Verdict): Decision[] {
    const out = this.dueBefore(v.at);
    this.stats.verdicts++;
    const ip = v.ip;
    if (this.held.has(ip)) {
      this.stats.alreadyBlocked++;
      return out;
    }
    const gate = this.gate(ip);
    if (gate === null) return out;
    if (this.observes(v.rule)) return this.observe(v, gate.country, out);
    const earlier = this.history.get(ip) ?? 0;
    const times = earlier + 1;
    this.history.set(ip, times);
    const threshold = this.config.blockThreshold;
    const makePermanent = threshold > 0 && earlier >= threshold;
    const record = verdictRecord(v, gate.country, times, makePermanent ? null : v.at + this.config.blockTime);
    if (makePermanent) {
      record.reason = 'threshold';
      record.note = `${permanentNote(earlier, v)}; ${blockNote(v)}`;
      this.held.set(ip, { record, permanent: true, reported: 0, lastDecisionAt: v.at });
      this.permanentCount++;
      this.stats.permanents++;
      out.push(decisionOf('permanent', record.reason, v.at, record, null));
    } else {
      this.start(record, v.at);
      out.push(decisionOf('block', record.reason, v.at, record, record.expiresAt));
    }
    this.holdNetwork(this.prefixOf(ip), ip, v.at, record.reason, out);
    return out;
  }

  /** A "would block" for a rule in observe mode: once per BLOCKTIME per address. */
  private observe(v: Verdict, country: string | null, out: Decision[]): Decision[] {
    const until = this.watching.get(v.ip);
    if (until !== undefined && until > v.at) return out;
    if (this.watching.size >= OBSERVED_PRUNE_AT) {
      for (const [ip, u] of this.watching) if (u <= v.at) this.watching.delete(ip);
    }
    this.watching.set(v.ip, v.at + this.config.blockTime);
    this.stats.observed++;
    const record = verdictRecord(v, country, this.history.get(v.ip) ?? 0, null);
    record.note = `would block (OBSERVE): ${blockNote(v)}`;
    out.push(decisionOf('observe', v.rule, v.at, record, null));
    return out;
  }

  /**
   * A request from `ip`, not blocked itself: if its prefix is held (PREFIX_BLOCK), the
   * address is blocked at once with reason `prefix`.
   */
  blockPrefixMember(ip: string, at: number): Decision[] {
    if (this.prefixes.size === 0 || this.held.has(ip)) return [];
    const key = this.prefixOf(ip);
    if (key === ip) return []; // a full-length prefix (an IPv4 /32) is never held
    const hold = this.prefixes.held(key, at);
    if (hold === null) return [];
    const gate = this.gate(ip);
    if (gate === null) return [];
    const out = this.dueBefore(at);
    const times = (this.history.get(ip) ?? 0) + 1;
    this.history.set(ip, times);
    const record = bareRecord(ip, 'prefix', gate.country, at, at + this.config.blockTime, times);
    record.note = `address of ${key}, where ${hold.ips.length} addresses were blocked (${hold.reason}): ${hold.ips.slice(-5).join(', ')}`;
    this.start(record, at);
    this.stats.prefixBlocks++;
    out.push(decisionOf('block', 'prefix', at, record, record.expiresAt));
    this.holdNetwork(key, ip, at, 'prefix', out);
    return out;
  }

  /** PREFIX_BLOCK: the block counts toward its prefix; a held prefix is blocked whole, renewed by its members. */
  private holdNetwork(key: string, ip: string, at: number, reason: DecisionReason, out: Decision[]): void {
    const whole = this.prefixes.blockedWhole(key, ip, at, reason);
    if (whole) out.push(decisionOf('block', 'prefix', at, this.start(whole, at), whole.expiresAt));
    else if (key !== ip && this.held.has(key)) out.push(...this.onPacket(key, at, true));
  }

  /**
   * A packet from `ip` at `at`. Renews a running dynamic block when it is attack
   * traffic (the Engine passes every request from a blocked address as such).
   */
  onPacket(ip: string, at: number, isAttackTraffic = true): Decision[] {
    const out = this.dueBefore(at);
    const b = this.held.get(ip);
    if (b === undefined || !isAttackTraffic) return out;
    return this.renew(b, at, out);
  }

  /**
   * A request from `ip` at `at`: null if the address is not held blocked, else what
   * onPacket(ip, at, true) decides. One Map lookup for the Engine's question ("blocked?")
   * and its renewal.
   */
  packetIfBlocked(ip: string, at: number): Decision[] | null {
    if (this.held.size === 0) return null;
    const b = this.held.get(ip);
    if (b === undefined) return null;
    // Expiries due (time went back, or no event moved it yet): exactly onPacket's path.
    if (this.heap.peekKey() <= at) return this.onPacket(ip, at, true);
    return this.renew(b, at, []);
  }

  private renew(b: Block, at: number, out: Decision[]): Decision[] {
    if (b.permanent) return out;
    const rec = b.record;
    if (at > rec.lastSeen) rec.lastSeen = at;
    const expiresAt = at + this.config.blockTime;
    if (expiresAt <= rec.expiresAt!) return out;
    rec.expiresAt = expiresAt;
    if (at - b.lastDecisionAt >= EXTEND_INTERVAL) out.push(this.extend(b, at));
    return out;
  }

  /** Lifts the dynamic blocks whose time ran out by `now`. */
  tick(now: number): Decision[] {
    const out: Decision[] = [];
    while (this.heap.peekKey() <= now) {
      const b = this.heap.pop()!;
      const rec = b.record;
      if (this.held.get(rec.ip) !== b) continue; // lifted or replaced since
      const expiresAt = rec.expiresAt!;
      if (expiresAt <= now) {
        this.held.delete(rec.ip);
        this.stats.unblocks++;
        out.push(decisionOf('unblock', 'expired', expiresAt, rec, null));
        continue;
      }
      // Renewed since it was queued. If the reported expiry (the firewall's timeout) is
      // due, report the renewal now, as of that moment; then wait for the next one.
      if (b.reported <= now) out.push(this.extend(b, b.reported));
      this.heap.push(b.reported, b);
    }
    return out;
  }

  /** A block by hand (CLI, UI, API). The allow list still wins; a running block is renewed. */
  block(ip: string, at: number, reason: DecisionReason = 'manual', note: string | null = null): Decision[] {
    const out = this.dueBefore(at);
    const running = this.held.get(ip);
    if (running?.permanent) return out;
    if (running !== undefined) {
      running.record.expiresAt = Math.max(running.record.expiresAt!, at + this.config.blockTime);
      out.push(this.extend(running, at));
      return out;
    }
    const gate = this.gate(ip);
    if (gate === null) return out;
    const times = (this.history.get(ip) ?? 0) + 1;
    this.history.set(ip, times);
    const record = bareRecord(ip, reason, gate.country, at, at + this.config.blockTime, times);
    record.note = note ?? 'blocked by hand';
    this.start(record, at);
    out.push(decisionOf('block', reason, at, record, record.expiresAt));
    return out;
  }

  /**
   * Lifts a block by hand (dynamic or threshold-permanent). `forgetHistory` also resets
   * the count of earlier blocks, so the address starts afresh toward the threshold.
   */
  unblock(ip: string, at: number, opts: { forgetHistory?: boolean; host?: string } = {}): Decision[] {
    const out = this.dueBefore(at);
    const b = this.held.get(ip);
    if (opts.forgetHistory) this.history.delete(ip);
    if (b === undefined) return out;
    const rec = b.record;
    this.drop(ip);
    this.stats.unblocks++;
    // An unblock by hand is the decision of the host where the admin acted (cluster: `host`),
    // not of the host that saw the attack.
    const { host: _seenBy, ...d } = decisionOf('unblock', 'manual', at, rec, null);
    out.push(opts.host === undefined ? d : { ...d, host: opts.host });
    return out;
  }

  /**
   * Loads state at start: running blocks (those already expired are lifted by the next
   * tick, with their own expiry time), permanent records, and block counts.
   */
  restore(records: Iterable<BlockRecord>, timesBlocked: ReadonlyMap<string, number> = new Map()): void {
    for (const [ip, n] of timesBlocked) this.history.set(ip, Math.max(n, this.history.get(ip) ?? 0));
    for (const r of records) {
      const rec: BlockRecord = { ...r, users: r.users.slice() };
      this.history.set(rec.ip, Math.max(rec.timesBlocked, this.history.get(rec.ip) ?? 0));
      this.drop(rec.ip);
      if (rec.expiresAt === null) {
        this.held.set(rec.ip, {
          record: rec,
          permanent: true,
          reported: 0,
          lastDecisionAt: Number.NEGATIVE_INFINITY,
        });
        this.permanentCount++;
      } else {
        const b: Block = {
          record: rec,
          permanent: false,
          reported: rec.expiresAt,
          lastDecisionAt: Number.NEGATIVE_INFINITY,
        };
        this.held.set(rec.ip, b);
        this.heap.push(rec.expiresAt, b);
      }
    }
  }

  /** Lists and countries: null if nothing may be decided, else the country (gate.ts). */
  private gate(ip: string): { country: string | null } | null {
    return gateOf(ip, this.deps.lists, this.deps.country, this.countries, this.stats);
  }

  private start(record: BlockRecord, at: number): BlockRecord {
    const b: Block = { record, permanent: false, reported: record.expiresAt!, lastDecisionAt: at };
    this.held.set(record.ip, b);
    this.heap.push(record.expiresAt!, b);
    this.stats.blocks++;
    return record;
  }

  private extend(b: Block, at: number): Decision {
    b.reported = b.record.expiresAt!;
    b.lastDecisionAt = at;
    this.stats.extends++;
    return decisionOf('extend', b.record.reason, at, b.record, b.reported);
  }

  private drop(ip: string): void {
    const b = this.held.get(ip);
    if (b === undefined) return;
    if (b.permanent) this.permanentCount--;
    this.held.delete(ip);
  }

  /**
   * A block decided on another host of a cluster (issue 14), as a decision of this policy:
   * the allow list, the deny list and the countries here still come first (allow beats
   * everything on every host); a running block keeps the later expiry, never a shorter one;
   * a permanent one stays permanent. The record keeps the peer's facts and host. The count
   * toward BLOCK_THRESHOLD rises as for a local block (the fleet's count is raised apart).
   */
  adopt(rec: BlockRecord, at: number): Decision[] {
    const out = this.dueBefore(at);
    if (rec.expiresAt !== null && rec.expiresAt <= at) return out;
    const running = this.held.get(rec.ip);
    if (running?.permanent) return out;
    if (running !== undefined && rec.expiresAt !== null) {
      if (rec.expiresAt <= running.record.expiresAt!) return out;
      running.record.expiresAt = rec.expiresAt;
      out.push(this.extend(running, at));
      return out;
    }
    if (running === undefined && this.gate(rec.ip) === null) return out;
    const times = Math.max(rec.timesBlocked, (this.history.get(rec.ip) ?? 0) + (running ? 0 : 1));
    this.history.set(rec.ip, times);
    const record: BlockRecord = { ...rec, users: rec.users.slice(), timesBlocked: times };
    this.drop(rec.ip);
    if (record.expiresAt === null) {
      this.held.set(rec.ip, { record, permanent: true, reported: 0, lastDecisionAt: at });
      this.permanentCount++;
      this.stats.permanents++;
      out.push(decisionOf('permanent', record.reason, at, record, null));
    } else {
      this.start(record, at);
      out.push(decisionOf('block', record.reason, at, record, record.expiresAt));
    }
    return out;
  }

  /** The earliest time a block may lift (+Infinity if none): tick before it is a no-op. */
  nextDue(): number {
    return this.heap.peekKey();
  }

  private dueBefore(at: number): Decision[] {
    return this.heap.peekKey() <= at ? this.tick(at) : [];
  }
}
