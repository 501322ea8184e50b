/**
 * The blocks the policy holds, and each address's count of dynamic blocks: one slot per
 * address (source-slots.ts), an expiry min-heap, and the renewals a blocked source's
 * packets cause — the part of the policy every packet from a blocked source goes through.
 * policy.ts decides what to block; this file keeps what is held.
 *
 * - A dynamic block lasts BLOCKTIME; every packet of attack traffic renews it. Renewals are
 *   tracked exactly in the slot's doubles, reported at most once per extendInterval, and a
 *   renewal left unreported when its last reported expiry comes due is reported then (the
 *   firewall's element would time out). Expiry runs from the heap: O(log n) per block due.
 * - The times live in the slot's doubles, not in an object: a renewal touches no object,
 *   and what a block keeps on the JS heap for its life is its HeldRecord (block-record.ts:
 *   no boxed times). The whole BlockRecord is built when it is handed out (recordOf,
 *   blocks, an unblock), with the expiry and last-seen time of that moment: readers see
 *   what they saw before, in a record of their own.
 * - Iteration (blocks, permanents) is in the order the blocks started, as before (a list
 *   through the slots), over a snapshot.
 */
import type { BlockRecord, Decision } from '../types.js';
import { decisionOf, type HeldRecord, heldOf, withTimes } from './block-record.js';
import { MinHeap } from './heap.js';
import {
  BLOCKED_AT,
  EXPIRES,
  FIRST_SEEN,
  FLAGS,
  fo,
  HELD,
  LAST_DECISION,
  LAST_SEEN,
  PERM,
  REPORTED,
  SourceSlots,
  V4_UNKNOWN,
} from './source-slots.js';

/**
 * Least seconds between two reported renewals of one block: a tenth of BLOCKTIME, from 1 to
 * 60 s (60 s at the default 600). A reported renewal is work outside the policy: the kernel
 * element replaced (a delete and an add), the block's row rewritten, a fleet event in a
 * cluster. The capture sees a blocked attacker's packets before the firewall drops them, and
 * scanners keep sending: reported every second, a flood's blocked sources made 2.5 renewals
 * a block in the replay bench's flood capture. Reported less often, nothing is lost: the
 * policy's own expiry stays exact, the firewall's timeout is never short by more than this
 * interval (≤ a tenth of the block) and a renewal still unreported when it comes due is
 * reported then (tick), inside the kernel's slack.
 */
export function extendInterval(blockTime: number): number {
  return Math.min(60, Math.max(1, blockTime / 10));
}

export interface HeldStats {
  blocks: number;
  extends: number;
  unblocks: number;
}

export class HeldBlocks {
  private readonly slots = new SourceSlots();
  /**
   * Held slots in the order their blocks started, linked through the slots' links
   * (a string-keyed Map kept that order before: its insert was 2% of a flood replay).
   */
  private head = -1;
  private tail = -1;
  private count = 0;
  private readonly heap = new MinHeap<HeldRecord>();
  private readonly interval: number;
  permanentCount = 0;

  constructor(
    private readonly blockTime: number,
    private readonly stats: HeldStats,
  ) {
    this.interval = extendInterval(blockTime);
  }

  /** Addresses held blocked (dynamic and permanent). */
  get size(): number {
    return this.count;
  }

  /** Whether `ip` is held blocked; `v4`: its number when the caller read it from packet bytes. */
  isBlocked(ip: string, v4 = V4_UNKNOWN): boolean {
    return this.count !== 0 && this.heldSlot(ip, v4) >= 0;
  }

  /** The held slot of `ip`, or -1; `v4` as in isBlocked. */
  private heldSlot(ip: string, v4 = V4_UNKNOWN): number {
    const s = this.slots.find(ip, v4);
    return s >= 0 && (this.slots.metaOf(s) & HELD) !== 0 ? s : -1;
  }

  isPermanent(ip: string): boolean {
    const s = this.heldSlot(ip);
    return s >= 0 && (this.slots.metaOf(s) & PERM) !== 0;
  }

  /** The running block's expiry (null: permanent; undefined: none held). */
  expiryOf(ip: string): number | null | undefined {
    const s = this.heldSlot(ip);
    if (s < 0) return undefined;
    return (this.slots.metaOf(s) & PERM) !== 0 ? null : this.slots.f64Of(s)[fo(s) + EXPIRES]!;
  }

  recordOf(ip: string): BlockRecord | undefined {
    const s = this.heldSlot(ip);
    return s < 0 ? undefined : this.synced(s);
  }

  /** Running dynamic blocks in start order (a snapshot: changes meanwhile do not disturb it). */
  blocks(): IterableIterator<BlockRecord> {
    return this.listed(false);
  }

  /** Permanent blocks in start order (a snapshot). */
  permanents(): IterableIterator<BlockRecord> {
    return this.listed(true);
  }

  /**
   * Held blocks by kind, no record built (a /metrics scrape: `blocks()` makes a new record
   * for every block, 100k objects a scrape at 100k blocks): permanent, and dynamic ones
   * decided here or on another host (`host` set and not `ownHost`).
   */
  counts(ownHost: string | undefined): { local: number; peer: number; permanent: number } {
    const out = { local: 0, peer: 0, permanent: 0 };
    const slots = this.slots;
    for (let s = this.head; s >= 0; s = slots.nextOf(s)) {
      if ((slots.metaOf(s) & PERM) !== 0) out.permanent++;
      else {
        const host = slots.recOf(s)?.host;
        if (host !== undefined && host !== ownHost) out.peer++;
        else out.local++;
      }
    }
    return out;
  }

  private listed(permanent: boolean): IterableIterator<BlockRecord> {
    const out: BlockRecord[] = [];
    const slots = this.slots;
    for (let s = this.head; s >= 0; s = slots.nextOf(s)) {
      if (((slots.metaOf(s) & PERM) !== 0) === permanent) out.push(this.synced(s));
    }
    return out.values();
  }

  /** How many dynamic blocks `ip` has had. */
  timesOf(ip: string): number {
    const s = this.slots.find(ip);
    return s < 0 ? 0 : this.slots.metaOf(s) >>> 2;
  }

  /** Sets the count of `ip` (0 forgets it). */
  setTimes(ip: string, n: number): void {
    const s = n > 0 ? this.slots.slotFor(ip) : this.slots.find(ip);
    if (s < 0) return;
    this.slots.setMeta(s, (this.slots.metaOf(s) & FLAGS) | (n << 2));
    this.slots.releaseIfEmpty(s, ip);
  }

  /** Holds `record` as a running dynamic block from `at` (its expiry queued). */
  start(record: BlockRecord, at: number): BlockRecord {
    this.heap.push(record.expiresAt!, this.hold(record, false, record.expiresAt!, at));
    this.stats.blocks++;
    return record;
  }

  /** Holds `record` (expiresAt null) as permanent. */
  holdPermanent(record: BlockRecord, lastDecisionAt: number): void {
    this.hold(record, true, 0, lastDecisionAt);
    this.permanentCount++;
  }

  /** Restores a running block (`lastDecisionAt` -Infinity: its first renewal is reported). */
  restoreRunning(record: BlockRecord): void {
    this.heap.push(record.expiresAt!, this.hold(record, false, record.expiresAt!, Number.NEGATIVE_INFINITY));
  }

  /** Holds what `record` keeps besides its times in its slot, the times in the slot's doubles. */
  private hold(
    record: BlockRecord,
    permanent: boolean,
    reported: number,
    lastDecisionAt: number,
  ): HeldRecord {
    const ip = record.ip;
    const s = this.slots.slotFor(ip);
    const meta = this.slots.metaOf(s);
    // A block replacing a held one keeps its place in the order (as a Map's set would).
    if ((meta & HELD) === 0) this.append(s);
    this.slots.setMeta(s, (meta & ~FLAGS) | HELD | (permanent ? PERM : 0));
    const kept = heldOf(record);
    this.slots.setRec(s, kept);
    const f = this.slots.f64Of(s);
    const o = fo(s);
    f[o + EXPIRES] = record.expiresAt ?? Number.POSITIVE_INFINITY;
    f[o + LAST_SEEN] = record.lastSeen;
    f[o + REPORTED] = reported;
    f[o + LAST_DECISION] = lastDecisionAt;
    f[o + FIRST_SEEN] = record.firstSeen;
    f[o + BLOCKED_AT] = record.blockedAt;
    return kept;
  }

  private append(s: number): void {
    const slots = this.slots;
    slots.setPrev(s, this.tail);
    slots.setNext(s, -1);
    if (this.tail >= 0) slots.setNext(this.tail, s);
    else this.head = s;
    this.tail = s;
    this.count++;
  }

  private unlink(s: number): void {
    const slots = this.slots;
    const p = slots.prevOf(s);
    const n = slots.nextOf(s);
    if (p >= 0) slots.setNext(p, n);
    else this.head = n;
    if (n >= 0) slots.setPrev(n, p);
    else this.tail = p;
    this.count--;
  }

  /** Lets go of `ip`'s block (none: nothing), its record as of now returned; its count stays. */
  drop(ip: string): BlockRecord | undefined {
    const s = this.heldSlot(ip);
    if (s < 0) return undefined;
    const rec = this.synced(s);
    this.letGo(s, ip);
    return rec;
  }

  /** Frees held slot `s` (of `ip`) of its block. */
  private letGo(s: number, ip: string): void {
    const meta = this.slots.metaOf(s);
    if ((meta & PERM) !== 0) this.permanentCount--;
    this.slots.setMeta(s, meta & ~FLAGS);
    this.slots.setRec(s, undefined);
    this.unlink(s);
    this.slots.releaseIfEmpty(s, ip);
  }

  /**
   * A packet of attack traffic from `ip` at `at`, with no expiry due before it: null if
   * `ip` is not held, else the renewal's decisions (none, or one extend).
   */
  renewIfHeld(ip: string, at: number, out: Decision[]): Decision[] | null {
    if (this.count === 0) return null;
    const s = this.heldSlot(ip);
    if (s < 0) return null;
    if ((this.slots.metaOf(s) & PERM) !== 0) return out;
    const f = this.slots.f64Of(s);
    const o = fo(s);
    if (at > f[o + LAST_SEEN]!) f[o + LAST_SEEN] = at;
    const expiresAt = at + this.blockTime;
    if (expiresAt <= f[o + EXPIRES]!) return out;
    f[o + EXPIRES] = expiresAt;
    if (at - f[o + LAST_DECISION]! >= this.interval) out.push(this.extend(s, at));
    return out;
  }

  /** A running dynamic block's expiry moved to `expiresAt` at `at` (by hand, by a peer): reported. */
  extendTo(ip: string, expiresAt: number, at: number): Decision {
    const s = this.heldSlot(ip);
    this.slots.f64Of(s)[fo(s) + EXPIRES] = expiresAt;
    return this.extend(s, at);
  }

  private extend(s: number, at: number): Decision {
    const f = this.slots.f64Of(s);
    const o = fo(s);
    f[o + REPORTED] = f[o + EXPIRES]!;
    f[o + LAST_DECISION] = at;
    this.stats.extends++;
    const rec = this.slots.recOf(s)!;
    return decisionOf('extend', rec.reason, at, rec, f[o + REPORTED]!);
  }

  /** The earliest time a block may lift (+Infinity if none). */
  nextDue(): number {
    return this.heap.peekKey();
  }

  /** Lifts the dynamic blocks whose time ran out by `now`; reports renewals left unreported. */
  tick(now: number): Decision[] {
    const out: Decision[] = [];
    while (this.heap.peekKey() <= now) {
      const rec = this.heap.pop()!;
      const s = this.heldSlot(rec.ip);
      if (s < 0 || this.slots.recOf(s) !== rec) continue; // lifted or replaced since
      const f = this.slots.f64Of(s);
      const o = fo(s);
      const expiresAt = f[o + EXPIRES]!;
      if (expiresAt <= now) {
        this.letGo(s, rec.ip);
        this.stats.unblocks++;
        out.push(decisionOf('unblock', 'expired', expiresAt, rec, null));
        continue;
      }
      // Renewed since it was queued. If the reported expiry (the firewall's timeout) is
      // due, report the renewal now, as of that moment; then wait for the next one.
      if (f[o + REPORTED]! <= now) out.push(this.extend(s, f[o + REPORTED]!));
      this.heap.push(f[o + REPORTED]!, rec);
    }
    return out;
  }

  /** The whole record of held slot `s`, with its times as they are now (a new object). */
  private synced(s: number): BlockRecord {
    const f = this.slots.f64Of(s);
    const o = fo(s);
    const expiresAt = (this.slots.metaOf(s) & PERM) === 0 ? f[o + EXPIRES]! : null;
    return withTimes(
      this.slots.recOf(s)!,
      f[o + FIRST_SEEN]!,
      f[o + LAST_SEEN]!,
      f[o + BLOCKED_AT]!,
      expiresAt,
    );
  }
}
