/**
 * TCP stream reassembly per direction (key: src, sport, dst, dport), feeding a SipFramer.
 *
 * In-order bytes go straight to the framer; retransmissions and the already-seen part of
 * overlapping segments are ignored; segments from the future are held briefly (bounded
 * count, bytes and packet time) for the gap to fill, and when it does not the gap is
 * given up: the framer resynchronises on the next start line. A capture that starts
 * mid-connection picks the stream up at the first segment seen. FIN and RST free a flow;
 * idle flows expire in packet time, and when the table is full the least recently seen
 * eighth is evicted at once (amortised O(log n) per new flow).
 */

import { type FramerStats, type FrameSink, SipFramer } from '../sip/framing.js';
import { copyBytes } from './bytes.js';

export interface TcpLimits {
  /** Directions tracked at once. */
  maxFlows: number;
  /** Pending (unfinished header) bytes per direction. */
  flowBuffer: number;
  /** Seconds (packet time) without a segment before a flow is forgotten. */
  idleTimeout: number;
  /** Out-of-order segments held per direction. */
  maxHeld: number;
  /** Seconds (packet time) a gap may stay open before it is given up. */
  holdTime: number;
}

export interface TcpStats extends FramerStats {
  tcpSegments: number;
  tcpRetransmits: number;
  tcpOutOfOrder: number;
  /** Gaps given up (bytes never seen): the message around them is lost. */
  tcpGaps: number;
  tcpFlowsOpened: number;
  tcpFlowsEvicted: number;
  tcpFlowsExpired: number;
}

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;

interface Held {
  seq: number;
  data: Uint8Array;
  at: number;
}

interface Flow {
  next: number;
  framer: SipFramer;
  held: Held[] | null;
  heldBytes: number;
  lastSeen: number;
}

/** A segment this far ahead of the expected one is not a gap to wait for but a lost stream. */
const MAX_AHEAD = 1 << 20;

export class TcpReassembler {
  private readonly flows = new Map<string, Flow>();

  constructor(
    private readonly limits: TcpLimits,
    private readonly sink: FrameSink,
    private readonly stats: TcpStats,
  ) {}

  get size(): number {
    return this.flows.size;
  }

  /** One segment: `buf[off, end)` is its payload (it is copied only if it must be held). */
  segment(
    key: string,
    at: number,
    seq: number,
    flags: number,
    buf: Uint8Array,
    off: number,
    end: number,
  ): void {
    this.stats.tcpSegments++;
    let f = this.flows.get(key);
    if ((flags & TCP_SYN) !== 0) {
      const isn1 = (seq + 1) >>> 0;
      // A retransmitted SYN keeps the flow; a new one restarts it.
      if (f === undefined || f.next !== isn1) {
        if (f !== undefined) this.flows.delete(key);
        f = this.open(key, isn1, at);
      }
      seq = isn1;
    }
    if ((flags & TCP_RST) !== 0) {
      if (f !== undefined) this.flows.delete(key);
      return;
    }
    if (f === undefined) {
      if (end <= off) return; // a bare ACK or FIN of a flow we do not know: nothing to track
      f = this.open(key, seq >>> 0, at);
    }
    f.lastSeen = at;
    if (end > off) this.data(f, at, seq >>> 0, buf, off, end);
    if (f.held !== null && at - f.held[0]!.at > this.limits.holdTime) this.giveUpGap(f);
    if ((flags & TCP_FIN) !== 0) this.flows.delete(key);
  }

  /** Forget a flow (the reverse direction of a reset). */
  close(key: string): void {
    this.flows.delete(key);
  }

  /** Drop flows idle for longer than the timeout. */
  expire(now: number): void {
    const limit = now - this.limits.idleTimeout;
    for (const [key, f] of this.flows) {
      if (f.lastSeen < limit) {
        this.flows.delete(key);
        this.stats.tcpFlowsExpired++;
      }
    }
  }

  private open(key: string, next: number, at: number): Flow {
    if (this.flows.size >= this.limits.maxFlows) this.evictLeastRecent();
    const f: Flow = {
      next,
      framer: new SipFramer(this.sink, this.stats, this.limits.flowBuffer),
      held: null,
      heldBytes: 0,
      lastSeen: at,
    };
    this.flows.set(key, f);
    this.stats.tcpFlowsOpened++;
    return f;
  }

  private evictLeastRecent(): void {
    const n = Math.max(1, this.limits.maxFlows >> 3);
    const seen: number[] = [];
    for (const f of this.flows.values()) seen.push(f.lastSeen);
    seen.sort((a, b) => a - b);
    const cutoff = seen[Math.min(n, seen.length) - 1]!;
    let evicted = 0;
    for (const [key, f] of this.flows) {
      if (evicted >= n) break;
      if (f.lastSeen <= cutoff) {
        this.flows.delete(key);
        evicted++;
      }
    }
    this.stats.tcpFlowsEvicted += evicted;
  }

  private data(f: Flow, at: number, seq: number, buf: Uint8Array, off: number, end: number): void {
    const len = end - off;
    const rel = (seq - f.next) | 0;
    if (rel <= 0) {
      if (rel + len <= 0) {
        this.stats.tcpRetransmits++;
        return;
      }
      f.framer.push(buf, off - rel, end);
      f.next = (seq + len) >>> 0;
      if (f.held !== null) this.drainHeld(f);
      return;
    }
    if (rel > MAX_AHEAD) {
      // Far beyond anything we could wait for: the stream was lost; pick it up here.
      this.stats.tcpGaps++;
      f.held = null;
      f.heldBytes = 0;
      f.framer.lost();
      f.framer.push(buf, off, end);
      f.next = (seq + len) >>> 0;
      return;
    }
    this.stats.tcpOutOfOrder++;
    const held = f.held ?? [];
    let i = held.length;
    while (i > 0 && ((held[i - 1]!.seq - seq) | 0) > 0) i--;
    if (i > 0 && held[i - 1]!.seq === seq && held[i - 1]!.data.length >= len) return; // duplicate
    held.splice(i, 0, { seq, data: copyBytes(buf, off, end), at });
    f.held = held;
    f.heldBytes += len;
    if (held.length > this.limits.maxHeld || f.heldBytes > this.limits.flowBuffer) this.giveUpGap(f);
  }

  /** The missing bytes are not coming: continue from the first held segment. */
  private giveUpGap(f: Flow): void {
    const held = f.held;
    if (held === null) return;
    this.stats.tcpGaps++;
    f.framer.lost();
    f.next = held[0]!.seq;
    this.drainHeld(f);
  }

  private drainHeld(f: Flow): void {
    const held = f.held!;
    let i = 0;
    while (i < held.length) {
      const h = held[i]!;
      const rel = (h.seq - f.next) | 0;
      if (rel > 0) break;
      i++;
      f.heldBytes -= h.data.length;
      if (rel + h.data.length <= 0) continue;
      f.framer.push(h.data, -rel, h.data.length);
      f.next = (h.seq + h.data.length) >>> 0;
    }
    if (i >= held.length) {
      f.held = null;
      f.heldBytes = 0;
    } else if (i > 0) {
      held.splice(0, i);
    }
  }
}
