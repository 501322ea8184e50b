/**
 * A Map from address text to a value, looked up by number for IPv4: the policy asks
 * "is this source blocked?" for every request, with an address string the decoder just
 * made. A string key costs V8 a hash of the new string and, on a hit, a character
 * compare against the stored key (a runtime call); a canonical dotted quad parsed to its
 * 32-bit number (detect/state-keys.ts) is a number key, compared by value — about half the
 * cost measured on 100k blocked addresses. Canonical IPv4 text and its number are one to
 * one, so the answer is the string Map's; any other text (IPv6, networks, a non-canonical
 * spelling) is looked up as a string. Iteration is the string Map's, in insertion order.
 *
 * The last answer is remembered until the next set or delete: one packet asks about the
 * same source two or three times in a row (the decoder's Engine.decidedByAddress, then
 * packetIfBlocked or isBlocked), and the repeat then costs a string compare — usually the
 * same string, as the decoder hands out one text per address (packet/addr.ts).
 */
import { canonicalV4Number as ipv4Number } from '../net/ip.js';

export class AddressMap<V> {
  private readonly all = new Map<string, V>();
  /** Canonical IPv4 keys as int32 (a small integer for V8, never a boxed number). */
  private readonly v4 = new Map<number, V>();
  /** The key of the last get or has (null: none since the last change) and its answer. */
  private lastKey: string | null = null;
  private lastValue: V | undefined = undefined;
  private lastHas = false;

  get size(): number {
    return this.all.size;
  }

  get(ip: string): V | undefined {
    if (ip !== this.lastKey) this.look(ip);
    return this.lastValue;
  }

  has(ip: string): boolean {
    if (ip !== this.lastKey) this.look(ip);
    return this.lastHas;
  }

  private look(ip: string): void {
    this.lastKey = ip;
    // Nothing held (most of the time on most hosts): no parse, no lookup.
    if (this.all.size === 0) {
      this.lastValue = undefined;
      this.lastHas = false;
      return;
    }
    const n = ipv4Number(ip);
    const m = n >= 0 ? this.v4 : this.all;
    const k = n >= 0 ? n | 0 : ip;
    // A value may be undefined: has() is asked only when get() says so.
    const v = (m as Map<number | string, V>).get(k);
    this.lastValue = v;
    this.lastHas = v !== undefined || (m as Map<number | string, V>).has(k);
  }

  set(ip: string, v: V): void {
    this.lastKey = null;
    this.all.set(ip, v);
    const n = ipv4Number(ip);
    if (n >= 0) this.v4.set(n | 0, v);
  }

  delete(ip: string): boolean {
    this.lastKey = null;
    const n = ipv4Number(ip);
    if (n >= 0) this.v4.delete(n | 0);
    return this.all.delete(ip);
  }

  values(): IterableIterator<V> {
    return this.all.values();
  }
}
