/**
 * Longest-prefix-match map from networks to values: a path-compressed binary trie
 * (PATRICIA) per address family. Lookup and update walk at most one node per distinct
 * branching bit (≤ 33 for IPv4, ≤ 129 for IPv6), however many entries there are, so
 * 100k-entry allow/deny lists and country tables stay fast.
 */
import { SipprotError } from '../errors.js';
import { type Address, explainNetwork, type Network, parseAddress, parseNetwork } from './ip.js';

interface PrefixMatch<T> {
  network: Network;
  value: T;
}

/**
 * A trie node. The key is held inline as four 32-bit words (IPv4 uses w0 only) and the
 * children as two fields: lookups are bound by memory latency, and each indirection
 * (a typed array, a children array) is another cache miss per level.
 */
class Node<T> {
  w0: number;
  w1: number;
  w2: number;
  w3: number;
  prefix: number;
  c0: Node<T> | null = null;
  c1: Node<T> | null = null;
  /** Null for a branching node that only joins two subtrees. */
  entry: PrefixMatch<T> | null;

  constructor(words: Int32Array, prefix: number, entry: PrefixMatch<T> | null) {
    this.w0 = words[0]!;
    this.w1 = words[1]!;
    this.w2 = words[2]!;
    this.w3 = words[3]!;
    this.prefix = prefix;
    this.entry = entry;
  }

  word(j: number): number {
    return j === 0 ? this.w0 : j === 1 ? this.w1 : j === 2 ? this.w2 : this.w3;
  }

  child(bit: number): Node<T> | null {
    return bit ? this.c1 : this.c0;
  }

  setChild(bit: number, n: Node<T> | null): void {
    if (bit) this.c1 = n;
    else this.c0 = n;
  }
}

/** MASK[r]: the top r bits of a 32-bit word. */
const MASK = Array.from({ length: 33 }, (_, r) => (r === 0 ? 0 : (~0 << (32 - r)) | 0));

/** Address bytes as four big-endian int32 words (IPv4 fills the first). */
function toWords(bytes: Uint8Array, out = new Int32Array(4)): Int32Array {
  out.fill(0);
  for (let i = 0; i < bytes.length; i++) out[i >> 2]! |= bytes[i]! << (24 - 8 * (i & 3));
  return out;
}

function bitAt(words: Int32Array, i: number): number {
  return (words[i >> 5]! >>> (31 - (i & 31))) & 1;
}

function nodeBit(n: Node<unknown>, i: number): number {
  return (n.word(i >> 5) >>> (31 - (i & 31))) & 1;
}

/** Does the node's prefix cover the key? */
function matches(n: Node<unknown>, k: Int32Array, p: number): boolean {
  if (p < 32) return ((n.w0 ^ k[0]!) & MASK[p]!) === 0;
  if (n.w0 !== k[0]) return false;
  if (p < 64) return ((n.w1 ^ k[1]!) & MASK[p - 32]!) === 0;
  if (n.w1 !== k[1]) return false;
  if (p < 96) return ((n.w2 ^ k[2]!) & MASK[p - 64]!) === 0;
  if (n.w2 !== k[2]) return false;
  return p === 96 || ((n.w3 ^ k[3]!) & MASK[p - 96]!) === 0;
}

/** The deepest entry on `key`'s path from `root` (`max`: the family's address bits). */
function longest<T>(root: Node<T> | null, key: Int32Array, max: number): PrefixMatch<T> | undefined {
  let node = root;
  let best: PrefixMatch<T> | undefined;
  while (node !== null && matches(node, key, node.prefix)) {
    if (node.entry !== null) best = node.entry;
    if (node.prefix === max) break;
    node = bitAt(key, node.prefix) ? node.c1 : node.c0;
  }
  return best;
}

/** Number of leading bits the node key and k share, at most `limit`. */
function commonBits(n: Node<unknown>, k: Int32Array, limit: number): number {
  for (let j = 0; j * 32 < limit; j++) {
    const x = n.word(j) ^ k[j]!;
    if (x !== 0) return Math.min(limit, j * 32 + Math.clz32(x));
  }
  return limit;
}

function maskWords(k: Int32Array, prefix: number): Int32Array {
  const out = new Int32Array(4);
  for (let j = 0; j < 4; j++) {
    const bits = Math.max(0, Math.min(32, prefix - 32 * j));
    out[j] = k[j]! & MASK[bits]!;
  }
  return out;
}

function toNetwork(n: Network | string): Network | null {
  return typeof n === 'string' ? parseNetwork(n) : n;
}

function toAddress(a: Address | string): Address | null {
  return typeof a === 'string' ? parseAddress(a) : a;
}

// Lookups convert the address into this scratch buffer: the core is synchronous, so
// no two lookups can interleave.
const scratch = new Int32Array(4);

export class PrefixSet<T> {
  private v4: Node<T> | null = null;
  private v6: Node<T> | null = null;
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Adds or replaces the value of exactly this network. */
  add(network: Network | string, value: T): void {
    const net = toNetwork(network);
    if (!net) throw new SipprotError('SP_ERR_ADDRESS_INVALID', explainNetwork(String(network)));
    const entry: PrefixMatch<T> = { network: net, value };
    const key = toWords(net.bytes);
    let parent: Node<T> | null = null;
    let dir = 0;
    let node = net.family === 4 ? this.v4 : this.v6;
    const put = (n: Node<T>) => {
      if (parent) parent.setChild(dir, n);
      else if (net.family === 4) this.v4 = n;
      else this.v6 = n;
    };
    for (;;) {
      if (!node) {
        put(new Node(key, net.prefix, entry));
        this.count++;
        return;
      }
      const c = commonBits(node, key, Math.min(node.prefix, net.prefix));
      if (c === node.prefix) {
        if (node.prefix === net.prefix) {
          if (!node.entry) this.count++;
          node.entry = entry;
          return;
        }
        parent = node;
        dir = bitAt(key, node.prefix);
        node = node.child(dir);
        continue;
      }
      if (c === net.prefix) {
        const above = new Node(key, net.prefix, entry);
        above.setChild(nodeBit(node, c), node);
        put(above);
      } else {
        const fork = new Node<T>(maskWords(key, c), c, null);
        fork.setChild(bitAt(key, c), new Node(key, net.prefix, entry));
        fork.setChild(nodeBit(node, c), node);
        put(fork);
      }
      this.count++;
      return;
    }
  }

  /** The value stored for exactly this network (no prefix matching). */
  get(network: Network | string): T | undefined {
    const net = toNetwork(network);
    return net ? this.findPath(net).at(-1)?.node.entry?.value : undefined;
  }

  has(network: Network | string): boolean {
    const net = toNetwork(network);
    return net ? this.findPath(net).at(-1)?.node.entry != null : false;
  }

  /** Removes exactly this network; true if it was there. */
  remove(network: Network | string): boolean {
    const net = toNetwork(network);
    if (!net) return false;
    const path = this.findPath(net);
    const last = path.at(-1);
    if (!last?.node.entry) return false;
    const node = last.node;
    node.entry = null;
    this.count--;
    const replace = (i: number, n: Node<T> | null) => {
      const parent = i > 0 ? path[i - 1]!.node : null;
      if (parent) parent.setChild(path[i]!.dir, n);
      else if (net.family === 4) this.v4 = n;
      else this.v6 = n;
    };
    if (node.c0 && node.c1) return true;
    replace(path.length - 1, node.c0 ?? node.c1);
    if (node.c0 || node.c1) return true;
    // A branching node left with one child no longer branches: splice it out.
    const up = path.length - 2;
    if (up >= 0) {
      const parent = path[up]!.node;
      if (!parent.entry) replace(up, parent.c0 ?? parent.c1);
    }
    return true;
  }

  /** The longest (most specific) network containing the address. */
  lookup(address: Address | string): PrefixMatch<T> | undefined {
    const addr = toAddress(address);
    if (!addr) return undefined;
    const key = toWords(addr.bytes, scratch);
    return longest(addr.family === 4 ? this.v4 : this.v6, key, addr.bytes.length * 8);
  }

  /**
   * `lookup` of an IPv4 address given as its number (canonicalV4Number): no Address, bytes
   * or text made. A flood's block asks the lists twice for a new address; by text each
   * lookup parsed it into ~0.5 KB of young objects.
   */
  lookupV4(v: number): PrefixMatch<T> | undefined {
    scratch[0] = v;
    scratch[1] = 0;
    scratch[2] = 0;
    scratch[3] = 0;
    return longest(this.v4, scratch, 32);
  }

  /** Every network containing the address, least specific first. */
  lookupAll(address: Address | string): PrefixMatch<T>[] {
    const addr = toAddress(address);
    const out: PrefixMatch<T>[] = [];
    if (!addr) return out;
    const key = toWords(addr.bytes);
    const max = addr.bytes.length * 8;
    let node = addr.family === 4 ? this.v4 : this.v6;
    while (node !== null && matches(node, key, node.prefix)) {
      if (node.entry) out.push(node.entry);
      if (node.prefix === max) break;
      node = node.child(bitAt(key, node.prefix));
    }
    return out;
  }

  clear(): void {
    this.v4 = null;
    this.v6 = null;
    this.count = 0;
  }

  /** All entries: IPv4 then IPv6, in address order, a network before the ones inside it. */
  *entries(): IterableIterator<PrefixMatch<T>> {
    for (const root of [this.v4, this.v6]) {
      const stack: Node<T>[] = root ? [root] : [];
      while (stack.length) {
        const node = stack.pop()!;
        if (node.entry) yield node.entry;
        if (node.c1) stack.push(node.c1);
        if (node.c0) stack.push(node.c0);
      }
    }
  }

  [Symbol.iterator](): IterableIterator<PrefixMatch<T>> {
    return this.entries();
  }

  /** Nodes from the root down to the node for exactly `net` (last); empty if there is none. */
  private findPath(net: Network): Array<{ node: Node<T>; dir: number }> {
    const key = toWords(net.bytes);
    const path: Array<{ node: Node<T>; dir: number }> = [];
    let node = net.family === 4 ? this.v4 : this.v6;
    let dir = 0;
    while (node && node.prefix <= net.prefix && matches(node, key, node.prefix)) {
      path.push({ node, dir });
      if (node.prefix === net.prefix) return path;
      dir = bitAt(key, node.prefix);
      node = node.child(dir);
    }
    return [];
  }
}
