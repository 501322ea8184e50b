/**
 * The host's own addresses, as the engine asks about them on every packet: is this remote
 * side one of ours? Most hosts have one address, so the first is kept apart and compared
 * first (a string compare beats a Set lookup); canonical IPv4 ones are also kept as numbers,
 * so a caller that read the address from packet bytes asks without a string (a string Set's
 * lookup was 1.8% of a mixed replay, which learns two servers).
 */
import { canonicalV4Number } from './net/ip.js';
import { V4_UNKNOWN } from './policy/source-slots.js';

export class LocalAddresses {
  private readonly texts = new Set<string>();
  /** The canonical IPv4 ones among `texts` as numbers; `v4More`: more than `oneV4`. */
  private readonly v4s = new Set<number>();
  private v4More = false;
  /** The first address, and its number (-1: none, or not IPv4). */
  private one: string | null = null;
  private oneV4 = -1;

  get size(): number {
    return this.texts.size;
  }

  add(ip: string): void {
    const v4 = canonicalV4Number(ip);
    this.texts.add(ip);
    if (v4 >= 0) this.v4s.add(v4);
    if (this.one === null) {
      this.one = ip;
      this.oneV4 = v4;
    }
    this.v4More = this.v4s.size > (this.oneV4 >= 0 ? 1 : 0);
  }

  /**
   * `v4`: the address as a number when the caller read it from packet bytes (-1: not IPv4),
   * else V4_UNKNOWN. Two canonical IPv4 texts are equal exactly when their numbers are.
   */
  has(ip: string, v4 = V4_UNKNOWN): boolean {
    const n = this.texts.size;
    if (n === 0) return false;
    if (v4 >= 0) return v4 === this.oneV4 || (this.v4More && this.v4s.has(v4));
    return ip === this.one || (n > 1 && this.texts.has(ip));
  }
}
