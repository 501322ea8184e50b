/**
 * A Map from address text to a value, looked up by number for IPv4: the policy asks
 * "is this source blocked?" for every request and every answer (the decoder's
 * Engine.decidedByAddress), with an address string the decoder just made. A string key
 * costs V8 a hash of the string and, on a hit, a character compare against the stored key;
 * a canonical dotted quad is one to one with its 32-bit number, so IPv4 keys live in an
 * open-addressing table of int32 keys (linear probing, backward-shift deletion, at most
 * half full): one multiply and usually one probe. It replaced a Map<number> (a flood
 * replay's profile: `AddressMap.look` 5.4% self + the dotted-quad parse 1.6% of the
 * whole replay, with a second lookup for every miss). The caller that read the address
 * from packet bytes hands its number over (`v4`), so the text is not parsed again; any
 * other text (IPv6, networks, a non-canonical spelling) is looked up as a string.
 * Iteration is the string Map's, in insertion order.
 *
 * The last answer is remembered until the next set or delete: one packet asks about the
 * same source two or three times in a row (Engine.decidedByAddress, then packetIfBlocked
 * or isBlocked), and the repeat then costs a string compare — usually the same string, as
 * the decoder hands out one text per address (packet/addr.ts).
 */
import { canonicalV4Number as ipv4Number } from '../net/ip.js';

/** `v4` when the caller has not read the address as a number: the text is parsed. */
export const V4_UNKNOWN = -2;

export class AddressMap<V> {
  private readonly all = new Map<string, V>();
  private readonly v4 = new V4Table<V>();
  /** The key of the last get or has (null: none since the last change) and its answer. */
  private lastKey: string | null = null;
  private lastValue: V | undefined = undefined;
  private lastHas = false;

  get size(): number {
    return this.all.size;
  }

  get(ip: string): V | undefined {
    if (ip !== this.lastKey) this.look(ip, V4_UNKNOWN);
    return this.lastValue;
  }

  /**
   * `v4`: canonicalV4Number(ip) when the caller already has it (-1: the text is no
   * canonical IPv4, e.g. an IPv6 packet's), else V4_UNKNOWN. A wrong number is a wrong answer.
   */
  has(ip: string, v4 = V4_UNKNOWN): boolean {
    if (ip !== this.lastKey) this.look(ip, v4);
    return this.lastHas;
  }

  private look(ip: string, v4: number): void {
    this.lastKey = ip;
    // Nothing held (most of the time on most hosts): no parse, no lookup.
    if (this.all.size === 0) {
      this.lastValue = undefined;
      this.lastHas = false;
      return;
    }
    const n = v4 === V4_UNKNOWN ? ipv4Number(ip) : v4;
    if (n >= 0) {
      const t = this.v4;
      const c = t.find(n | 0);
      this.lastHas = c >= 0;
      this.lastValue = c >= 0 ? t.vals[c] : undefined;
      return;
    }
    // A value may be undefined: has() is asked only when get() says so.
    const v = this.all.get(ip);
    this.lastValue = v;
    this.lastHas = v !== undefined || this.all.has(ip);
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

/** int32 → V, open addressing: keys, values and occupancy in three columns of one size. */
class V4Table<V> {
  keys = new Int32Array(16);
  vals: (V | undefined)[] = new Array<V | undefined>(16).fill(undefined);
  used = new Uint8Array(16);
  private shift = 28;
  private mask = 15;
  private size = 0;

  /** Home cell: the top bits of a Fibonacci multiply (consecutive addresses spread). */
  private home(k: number): number {
    return Math.imul(k, 0x9e3779b1) >>> this.shift;
  }

  /** The cell holding `k`, or -1. */
  find(k: number): number {
    const used = this.used;
    const keys = this.keys;
    const mask = this.mask;
    for (let i = this.home(k); used[i] === 1; i = (i + 1) & mask) if (keys[i] === k) return i;
    return -1;
  }

  set(k: number, v: V): void {
    const mask = this.mask;
    let i = this.home(k);
    while (this.used[i] === 1) {
      if (this.keys[i] === k) {
        this.vals[i] = v;
        return;
      }
      i = (i + 1) & mask;
    }
    this.used[i] = 1;
    this.keys[i] = k;
    this.vals[i] = v;
    if (++this.size * 2 > this.keys.length) this.grow();
  }

  delete(k: number): void {
    let i = this.find(k);
    if (i < 0) return;
    this.size--;
    const mask = this.mask;
    // Backward shift: move later entries of the probe run into the hole (no tombstones).
    for (let j = (i + 1) & mask; this.used[j] === 1; j = (j + 1) & mask) {
      const h = this.home(this.keys[j]!);
      // j's entry may fill the hole at i unless its home lies cyclically in (i, j].
      if (i <= j ? h > i && h <= j : h > i || h <= j) continue;
      this.keys[i] = this.keys[j]!;
      this.vals[i] = this.vals[j];
      i = j;
    }
    this.used[i] = 0;
    this.vals[i] = undefined;
  }

  private grow(): void {
    const keys = this.keys;
    const vals = this.vals;
    const used = this.used;
    const n = keys.length * 2;
    this.keys = new Int32Array(n);
    this.vals = new Array<V | undefined>(n).fill(undefined);
    this.used = new Uint8Array(n);
    this.mask = n - 1;
    this.shift--;
    this.size = 0;
    for (let i = 0; i < keys.length; i++) if (used[i] === 1) this.set(keys[i]!, vals[i] as V);
  }
}
