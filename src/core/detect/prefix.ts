/**
 * The key detection counts a source under: its prefix (PREFIX_V4, default /32, so an
 * IPv4 address is its own key; PREFIX_V6, default /64). An attacker rotating addresses
 * inside one /64 (one customer's LAN, one server's allocation) then keeps filling the
 * same windows instead of starting afresh with every address.
 *
 * Cost: an IPv4 source at /32 is returned as it is (no parse, no allocation: the common
 * case). Any other source is parsed once and its key cached (a Map, cleared when it
 * reaches 64k entries: a few ms of re-parsing every 64k new addresses).
 */
import { formatNetwork, parseAddress } from '../net/ip.js';

const CACHE_MAX = 65536;

export class PrefixKeys {
  private readonly cache = new Map<string, string>();

  constructor(
    readonly v4: number,
    readonly v6: number,
  ) {}

  /** Whether every key is the address itself (no prefix grouping at all). */
  get identity(): boolean {
    return this.v4 === 32 && this.v6 === 128;
  }

  /** The prefix text of `ip` (`2001:db8:1:2::/64`), or `ip` itself for a full-length prefix. */
  key(ip: string): string {
    if (this.v4 === 32 && ip.indexOf(':') < 0) return ip;
    const hit = this.cache.get(ip);
    if (hit !== undefined) return hit;
    const key = this.compute(ip);
    if (this.cache.size >= CACHE_MAX) this.cache.clear();
    this.cache.set(ip, key);
    return key;
  }

  private compute(ip: string): string {
    const a = parseAddress(ip);
    if (a === null) return ip;
    const prefix = a.family === 4 ? this.v4 : this.v6;
    if (prefix >= a.bytes.length * 8) return a.text;
    const bytes = a.bytes.slice();
    for (let i = 0; i < bytes.length; i++) {
      const bits = Math.max(0, Math.min(8, prefix - i * 8));
      bytes[i] = bytes[i]! & ((0xff << (8 - bits)) & 0xff);
    }
    return formatNetwork({ bytes, prefix });
  }
}
