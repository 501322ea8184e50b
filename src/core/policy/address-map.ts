/**
 * A Map from address text to a value, looked up by number for IPv4: the policy asks
 * "is this source blocked?" for every request, with an address string the decoder just
 * made. A string key costs V8 a hash of the new string and, on a hit, a character
 * compare against the stored key (a runtime call); a canonical dotted quad parsed to its
 * 32-bit number (detect/state-keys.ts) is a number key, compared by value — about half the
 * cost measured on 100k blocked addresses. Canonical IPv4 text and its number are one to
 * one, so the answer is the string Map's; any other text (IPv6, networks, a non-canonical
 * spelling) is looked up as a string. Iteration is the string Map's, in insertion order.
 */
import { canonicalV4Number as ipv4Number } from '../net/ip.js';

export class AddressMap<V> {
  private readonly all = new Map<string, V>();
  /** Canonical IPv4 keys as int32 (a small integer for V8, never a boxed number). */
  private readonly v4 = new Map<number, V>();

  get size(): number {
    return this.all.size;
  }

  get(ip: string): V | undefined {
    const n = ipv4Number(ip);
    return n >= 0 ? this.v4.get(n | 0) : this.all.get(ip);
  }

  has(ip: string): boolean {
    const n = ipv4Number(ip);
    return n >= 0 ? this.v4.has(n | 0) : this.all.has(ip);
  }

  set(ip: string, v: V): void {
    this.all.set(ip, v);
    const n = ipv4Number(ip);
    if (n >= 0) this.v4.set(n | 0, v);
  }

  delete(ip: string): boolean {
    const n = ipv4Number(ip);
    if (n >= 0) this.v4.delete(n | 0);
    return this.all.delete(ip);
  }

  values(): IterableIterator<V> {
    return this.all.values();
  }
}
