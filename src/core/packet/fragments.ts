/**
 * IP fragment reassembly (IPv4 and IPv6) with bounded memory and timeouts in packet time.
 * Large SIP INVITEs over UDP fragment, and attackers can send fragments that never
 * complete: every datagram in progress costs memory until it completes or times out, so
 * both the number of datagrams and the bytes held are capped; when full, the oldest give
 * way. Overlapping fragments drop the datagram (RFC 5722; for IPv4 they are an evasion
 * trick, never legitimate).
 */
import { copyBytes } from './bytes.js';

export interface FragmentLimits {
  /** Datagrams in progress at once. */
  maxDatagrams: number;
  /** Fragment bytes held across all datagrams. */
  maxBytes: number;
  /** Seconds (packet time) a datagram may take to complete. */
  timeout: number;
}

export interface FragmentStats {
  fragments: number;
  reassembled: number;
  /** Datagrams given up: timed out, evicted, overlapping, too large, too many pieces. */
  fragDropped: number;
}

interface Piece {
  off: number;
  data: Uint8Array;
}

interface Datagram {
  firstAt: number;
  pieces: Piece[];
  bytes: number;
  /** Total length once the last fragment was seen, else -1. */
  total: number;
  /** Known not to interest us (a first fragment for another port): drop the rest silently. */
  ignored: boolean;
  /** Upper-layer protocol from the fragment with offset 0 (IPv6: its next header). */
  proto: number;
}

const MAX_PIECES = 64;
const MAX_DATAGRAM = 65535;

export class FragmentReassembler {
  private readonly datagrams = new Map<string, Datagram>();
  private bytes = 0;

  constructor(
    private readonly limits: FragmentLimits,
    private readonly stats: FragmentStats,
  ) {}

  get size(): number {
    return this.datagrams.size;
  }

  get heldBytes(): number {
    return this.bytes;
  }

  /**
   * Add one fragment (`buf[off, end)` is its payload; it is copied). Returns the whole
   * upper-layer payload when this fragment completes the datagram, else null. `proto` of
   * the first fragment is kept for the caller in `lastProto`.
   */
  add(
    key: string,
    at: number,
    fragOffset: number,
    more: boolean,
    proto: number,
    buf: Uint8Array,
    off: number,
    end: number,
  ): Uint8Array | null {
    this.stats.fragments++;
    let d = this.datagrams.get(key);
    if (d !== undefined && at - d.firstAt > this.limits.timeout) {
      this.drop(key, d);
      d = undefined;
    }
    if (d === undefined) {
      if (this.datagrams.size >= this.limits.maxDatagrams) this.evictOldest();
      d = { firstAt: at, pieces: [], bytes: 0, total: -1, ignored: false, proto: -1 };
      this.datagrams.set(key, d);
    }
    if (d.ignored) return null;
    const len = end - off;
    const last = fragOffset + len;
    if (last > MAX_DATAGRAM || d.pieces.length >= MAX_PIECES || (more && len % 8 !== 0)) {
      this.drop(key, d);
      return null;
    }
    if (!more) {
      if (d.total >= 0 && d.total !== last) {
        this.drop(key, d);
        return null;
      }
      d.total = last;
      for (const p of d.pieces) {
        if (p.off + p.data.length > last) {
          this.drop(key, d);
          return null;
        }
      }
    }
    if (d.total >= 0 && last > d.total) {
      this.drop(key, d);
      return null;
    }
    for (const p of d.pieces) {
      if (fragOffset < p.off + p.data.length && p.off < last) {
        // An exact duplicate (a retransmitted fragment) is harmless; any other overlap is not.
        if (p.off === fragOffset && p.data.length === len) return null;
        this.drop(key, d);
        return null;
      }
    }
    while (this.bytes + len > this.limits.maxBytes && this.datagrams.size > 1) {
      if (!this.evictOldest(key)) break;
    }
    if (this.bytes + len > this.limits.maxBytes) {
      this.drop(key, d);
      return null;
    }
    if (fragOffset === 0) d.proto = proto;
    d.pieces.push({ off: fragOffset, data: copyBytes(buf, off, end) });
    d.bytes += len;
    this.bytes += len;
    if (d.total < 0 || d.bytes !== d.total) return null;
    // No overlaps and bytes == total: the pieces tile [0, total) exactly.
    const whole = new Uint8Array(d.total);
    for (const p of d.pieces) whole.set(p.data, p.off);
    this.lastProto = d.proto;
    this.remove(key, d);
    this.stats.reassembled++;
    return whole;
  }

  /** Protocol (IPv6: next header) of the first fragment of the datagram just completed. */
  lastProto = -1;

  /** Keep the datagram's key but drop its data and every later fragment of it. */
  ignore(key: string, at: number): void {
    let d = this.datagrams.get(key);
    if (d === undefined) {
      if (this.datagrams.size >= this.limits.maxDatagrams) this.evictOldest();
      d = { firstAt: at, pieces: [], bytes: 0, total: -1, ignored: true, proto: -1 };
      this.datagrams.set(key, d);
      return;
    }
    this.bytes -= d.bytes;
    d.pieces = [];
    d.bytes = 0;
    d.ignored = true;
  }

  /** Drop datagrams older than the timeout. */
  expire(now: number): void {
    for (const [key, d] of this.datagrams) {
      if (now - d.firstAt > this.limits.timeout) {
        if (d.ignored) this.remove(key, d);
        else this.drop(key, d);
      }
    }
  }

  private drop(key: string, d: Datagram): void {
    if (!d.ignored) this.stats.fragDropped++;
    this.remove(key, d);
  }

  private remove(key: string, d: Datagram): void {
    this.bytes -= d.bytes;
    this.datagrams.delete(key);
  }

  /** Drop the datagram that started first (Map order is arrival order), except `keep`. */
  private evictOldest(keep?: string): boolean {
    for (const [key, d] of this.datagrams) {
      if (key === keep) continue;
      this.drop(key, d);
      return true;
    }
    return false;
  }
}
