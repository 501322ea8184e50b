/**
 * Policy: Verdicts + lists + countries + block history → Decisions. Whether an address may
 * be blocked at all (lists, countries) is gate.ts's; the held blocks, their renewals and
 * expiry, and each address's count of blocks are held.ts's (one slot per address).
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
import { bareRecord, decisionOf, RecordParts, verdictRecord } from './block-record.js';
import { type CountryLookup, gateOf, type ListLookup } from './gate.js';
import { extendInterval, HeldBlocks } from './held.js';
import { blockNote, observeNote, permanentNote, prefixNote } from './notes.js';
import { PrefixHolds } from './prefix-hold.js';
import { V4_UNKNOWN } from './source-slots.js';

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

/** What packetIfBlocked returns when a blocked source's packet decided nothing. */
const NO_DECISIONS: Decision[] = Object.freeze([]) as unknown as Decision[];

/** Observed addresses kept before expired ones are pruned. */
const OBSERVED_PRUNE_AT = 100_000;

export { extendInterval };

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
  /** Held blocks and block counts: one slot per address, one lookup per packet (held.ts). */
  private readonly held: HeldBlocks;
  private readonly countries: Set<string>;
  private readonly observeAll: boolean;
  private readonly observeRules: Set<Rule>;
  /** Addresses observed ("would block") until when: one report per BLOCKTIME. */
  private readonly watching = new Map<string, number>();
  /** Users lists and notes shared between block records (block-record.ts). */
  private readonly parts = new RecordParts();
  private readonly prefixes: PrefixHolds;
  private readonly prefixOf: (ip: string) => string;
  /** packetIfBlocked's buffer, handed over when a renewal is reported. */
  private scratch: Decision[] = [];
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
    this.held = new HeldBlocks(config.blockTime, this.stats);
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
    return this.held.size - this.held.permanentCount;
  }

  /**
   * Whether the policy holds the address blocked (dynamically or permanently). `v4`: the
   * address as a number when the caller read it from packet bytes (source-slots.ts).
   */
  isBlocked(ip: string, v4 = V4_UNKNOWN): boolean {
    return this.held.isBlocked(ip, v4);
  }

  /** The running dynamic block (or permanent record) of an address. */
  recordOf(ip: string): BlockRecord | undefined {
    return this.held.recordOf(ip);
  }

  /** Running dynamic blocks. */
  blocks(): IterableIterator<BlockRecord> {
    return this.held.blocks();
  }

  /** Blocks made permanent by the threshold (until the deny list takes them over). */
  permanents(): IterableIterator<BlockRecord> {
    return this.held.permanents();
  }

  /** Held blocks by kind without their records (held.ts counts). */
  heldCounts(ownHost: string | undefined): { local: number; peer: number; permanent: number } {
    return this.held.counts(ownHost);
  }

  /** How many dynamic blocks an address has had. */
  timesBlocked(ip: string): number {
    return this.held.timesOf(ip);
  }

  /** A detection verdict: block, make permanent, or nothing. */
  onVerdict(v: Verdict): Decision[] {
    const out = this.dueBefore(v.at);
    this.stats.verdicts++;
    const ip = v.ip;
    if (this.held.isBlocked(ip)) {
      this.stats.alreadyBlocked++;
      return out;
    }
    const gate = this.gate(ip);
    if (gate === null) return out;
    if (this.observes(v.rule)) return this.observe(v, gate.country, out);
    const earlier = this.held.timesOf(ip);
    const times = earlier + 1;
    this.held.setTimes(ip, times);
    const threshold = this.config.blockThreshold;
    const makePermanent = threshold > 0 && earlier >= threshold;
    const record = verdictRecord(
      v,
      gate.country,
      times,
      makePermanent ? null : v.at + this.config.blockTime,
      this.parts,
    );
    if (makePermanent) {
      record.reason = 'threshold';
      record.note = permanentNote(earlier, v, blockNote(v));
      this.held.holdPermanent(record, v.at);
      this.stats.permanents++;
      out.push(decisionOf('permanent', record.reason, v.at, record, null));
    } else {
      this.held.start(record, v.at);
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
    const record = verdictRecord(v, country, this.held.timesOf(v.ip), null);
    record.note = observeNote(blockNote(v));
    out.push(decisionOf('observe', v.rule, v.at, record, null));
    return out;
  }

  /**
   * A request from `ip`, not blocked itself: if its prefix is held (PREFIX_BLOCK), the
   * address is blocked at once with reason `prefix`.
   */
  blockPrefixMember(ip: string, at: number): Decision[] {
    if (this.prefixes.size === 0 || this.held.isBlocked(ip)) return [];
    const key = this.prefixOf(ip);
    if (key === ip) return []; // a full-length prefix (an IPv4 /32) is never held
    const hold = this.prefixes.held(key, at);
    if (hold === null) return [];
    const gate = this.gate(ip);
    if (gate === null) return [];
    const out = this.dueBefore(at);
    const times = this.held.timesOf(ip) + 1;
    this.held.setTimes(ip, times);
    const record = bareRecord(ip, 'prefix', gate.country, at, at + this.config.blockTime, times);
    record.note = prefixNote(key, hold.ips, hold.reason);
    this.held.start(record, at);
    this.stats.prefixBlocks++;
    out.push(decisionOf('block', 'prefix', at, record, record.expiresAt));
    this.holdNetwork(key, ip, at, 'prefix', out);
    return out;
  }

  /** PREFIX_BLOCK: the block counts toward its prefix; a held prefix is blocked whole, renewed by its members. */
  private holdNetwork(key: string, ip: string, at: number, reason: DecisionReason, out: Decision[]): void {
    const whole = this.prefixes.blockedWhole(key, ip, at, reason);
    if (whole) out.push(decisionOf('block', 'prefix', at, this.held.start(whole, at), whole.expiresAt));
    else if (key !== ip && this.held.isBlocked(key)) out.push(...this.onPacket(key, at, true));
  }

  /**
   * A packet from `ip` at `at`. Renews a running dynamic block when it is attack
   * traffic (the Engine passes every request from a blocked address as such).
   */
  onPacket(ip: string, at: number, isAttackTraffic = true): Decision[] {
    const out = this.dueBefore(at);
    if (!isAttackTraffic) return out;
    return this.held.renewIfHeld(ip, at, out) ?? out;
  }

  /**
   * A request from `ip` at `at`: null if the address is not held blocked, else what
   * onPacket(ip, at, true) decides (read it, never change it). One lookup for the Engine's
   * question ("blocked?") and its renewal.
   */
  packetIfBlocked(ip: string, at: number): Decision[] | null {
    // Expiries due (time went back, or no event moved it yet): exactly onPacket's path.
    if (this.held.nextDue() <= at) return this.held.isBlocked(ip) ? this.onPacket(ip, at, true) : null;
    // Most renewals report nothing: then one shared, frozen empty array (the caller reads
    // it, never keeps or changes it), and no array per packet of a flood.
    const ds = this.held.renewIfHeld(ip, at, this.scratch);
    if (ds === null || ds.length === 0) return ds === null ? null : NO_DECISIONS;
    this.scratch = [];
    return ds;
  }

  /** Lifts the dynamic blocks whose time ran out by `now`. */
  tick(now: number): Decision[] {
    return this.held.tick(now);
  }

  /** A block by hand (CLI, UI, API). The allow list still wins; a running block is renewed. */
  block(ip: string, at: number, reason: DecisionReason = 'manual', note: string | null = null): Decision[] {
    const out = this.dueBefore(at);
    const running = this.held.expiryOf(ip);
    if (running === null) return out;
    if (running !== undefined) {
      out.push(this.held.extendTo(ip, Math.max(running, at + this.config.blockTime), at));
      return out;
    }
    const gate = this.gate(ip);
    if (gate === null) return out;
    const times = this.held.timesOf(ip) + 1;
    this.held.setTimes(ip, times);
    const record = bareRecord(ip, reason, gate.country, at, at + this.config.blockTime, times);
    record.note = note ?? 'blocked by hand';
    this.held.start(record, at);
    out.push(decisionOf('block', reason, at, record, record.expiresAt));
    return out;
  }

  /**
   * Lifts a block by hand (dynamic or threshold-permanent). `forgetHistory` also resets
   * the count of earlier blocks, so the address starts afresh toward the threshold.
   */
  unblock(ip: string, at: number, opts: { forgetHistory?: boolean; host?: string } = {}): Decision[] {
    const out = this.dueBefore(at);
    if (opts.forgetHistory) this.held.setTimes(ip, 0);
    const rec = this.held.drop(ip);
    if (rec === undefined) return out;
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
    const held = this.held;
    for (const [ip, n] of timesBlocked) held.setTimes(ip, Math.max(n, held.timesOf(ip)));
    for (const r of records) {
      const rec: BlockRecord = { ...r, users: r.users.slice() };
      held.setTimes(rec.ip, Math.max(rec.timesBlocked, held.timesOf(rec.ip)));
      held.drop(rec.ip);
      if (rec.expiresAt === null) held.holdPermanent(rec, Number.NEGATIVE_INFINITY);
      else held.restoreRunning(rec);
    }
  }

  /** Lists and countries: null if nothing may be decided, else the country (gate.ts). */
  private gate(ip: string): { country: string | null } | null {
    return gateOf(ip, this.deps.lists, this.deps.country, this.countries, this.stats);
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
    const held = this.held;
    const running = held.expiryOf(rec.ip);
    if (running === null) return out;
    if (running !== undefined && rec.expiresAt !== null) {
      if (rec.expiresAt <= running) return out;
      out.push(held.extendTo(rec.ip, rec.expiresAt, at));
      return out;
    }
    if (running === undefined && this.gate(rec.ip) === null) return out;
    const times = Math.max(rec.timesBlocked, held.timesOf(rec.ip) + (running === undefined ? 1 : 0));
    held.setTimes(rec.ip, times);
    const record: BlockRecord = { ...rec, users: rec.users.slice(), timesBlocked: times };
    held.drop(rec.ip);
    if (record.expiresAt === null) {
      held.holdPermanent(record, at);
      this.stats.permanents++;
      out.push(decisionOf('permanent', record.reason, at, record, null));
    } else {
      held.start(record, at);
      out.push(decisionOf('block', record.reason, at, record, record.expiresAt));
    }
    return out;
  }

  /** The earliest time a block may lift (+Infinity if none): tick before it is a no-op. */
  nextDue(): number {
    return this.held.nextDue();
  }

  private dueBefore(at: number): Decision[] {
    return this.held.nextDue() <= at ? this.held.tick(at) : [];
  }
}
