/**
 * PREFIX_BLOCK: when that many addresses of one prefix (PREFIX_V4/PREFIX_V6, default
 * /32 and /64) were blocked within BLOCKTIME, the prefix is held: every other address of
 * it is blocked at its first request (reason `prefix`), for BLOCKTIME after the last
 * block in it. An attacker rotating through its /64 then loses one request per address
 * instead of a whole window's worth.
 *
 * The held prefix is also blocked whole (a block record whose `ip` is the network, reason
 * `prefix`): the firewall puts it in an interval set, so every address of it is dropped in
 * the kernel, one that never sent anything included; packets from it keep renewing it.
 * Exceptions, decided here: a network that holds a protected address (the admin's web
 * session or SSH client, the host's own addresses, resolvers, gateways, PROTECTED_PEERS:
 * `protectedIn`) is never blocked whole — its members are still blocked one by one at
 * their first request, as before, and the protected ones never. Allow-listed addresses
 * inside a blocked network are carved out by the kernel itself (the allow rules return
 * before the network sets) and by the policy's gate for the per-address blocks.
 *
 * Bounded: prefixes without a block for BLOCKTIME are pruned when the map passes 10k.
 */
import type { BlockRecord, DecisionReason } from '../types.js';
import { bareRecord } from './block-record.js';

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
    /** Whether a network holds an address that must never be cut off (the admin's). */
    private readonly protectedIn?: (network: string) => boolean,
  ) {}

  /**
   * `blocked` and, when that made the prefix held, the whole network's block record (null:
   * not held now, a full-length key, or a network holding a protected address).
   */
  blockedWhole(key: string, ip: string, at: number, reason: DecisionReason): BlockRecord | null {
    if (!this.blocked(key, ip, at, reason) || !key.includes('/') || this.protectedIn?.(key)) return null;
    const h = this.m.get(key)!;
    const rec = bareRecord(key, 'prefix', null, at, at + this.blockTime, 1);
    rec.note = `network ${key} blocked whole: ${h.ips.length} of its addresses were blocked (${h.reason}): ${h.ips.slice(-5).join(', ')}`;
    return rec;
  }

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
