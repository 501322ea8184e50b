/**
 * PREFIX_BLOCK: when that many addresses of one prefix (PREFIX_V4/PREFIX_V6, default
 * /32 and /64) were blocked within BLOCKTIME, the prefix is held: every other address of
 * it is blocked at its first request (reason `prefix`), for BLOCKTIME after the last
 * block in it. An attacker rotating through its /64 then loses one request per address
 * instead of a whole window's worth. The firewall's dynamic sets hold addresses, so the
 * prefix is enforced address by address, each within a millisecond of its first packet.
 *
 * Bounded: prefixes without a block for BLOCKTIME are pruned when the map passes 10k.
 */
import type { DecisionReason } from '../types.js';

const PRUNE_AT = 10_000;
const MAX_IPS = 32;

export interface PrefixHold {
  /** Recently blocked addresses of the prefix, oldest first. */
  ips: string[];
  times: number[];
  /** The reason of the first block (what the prefix is held for). */
  reason: DecisionReason;
  /** When the hold lifts (BLOCKTIME after the last block), or -Infinity if not held. */
  heldUntil: number;
}

export class PrefixHolds {
  private readonly m = new Map<string, PrefixHold>();

  constructor(
    readonly threshold: number,
    readonly blockTime: number,
  ) {}

  get size(): number {
    return this.m.size;
  }

  /** A dynamic block of `ip` (in prefix `key`) at `at`; true when the prefix just became held. */
  blocked(key: string, ip: string, at: number, reason: DecisionReason): boolean {
    if (this.threshold <= 0 || key === ip) return false;
    if (this.m.size >= PRUNE_AT) this.prune(at);
    let h = this.m.get(key);
    if (h === undefined) {
      h = { ips: [], times: [], reason, heldUntil: Number.NEGATIVE_INFINITY };
      this.m.set(key, h);
    }
    const wasHeld = h.heldUntil > at;
    while (h.times.length > 0 && at - h.times[0]! >= this.blockTime) {
      h.times.shift();
      h.ips.shift();
    }
    const i = h.ips.indexOf(ip);
    if (i >= 0) {
      h.ips.splice(i, 1);
      h.times.splice(i, 1);
    }
    h.ips.push(ip);
    h.times.push(at);
    if (h.ips.length > MAX_IPS) {
      h.ips.shift();
      h.times.shift();
    }
    if (wasHeld) {
      h.heldUntil = at + this.blockTime;
      return false;
    }
    if (h.ips.length < this.threshold) return false;
    h.heldUntil = at + this.blockTime;
    return true;
  }

  /** The hold on `key` at `at`, or null. */
  held(key: string, at: number): PrefixHold | null {
    const h = this.m.get(key);
    return h !== undefined && h.heldUntil > at ? h : null;
  }

  private prune(at: number): void {
    for (const [k, h] of this.m) {
      const last = h.times[h.times.length - 1] ?? Number.NEGATIVE_INFINITY;
      if (h.heldUntil <= at && at - last >= this.blockTime) this.m.delete(k);
    }
  }
}
