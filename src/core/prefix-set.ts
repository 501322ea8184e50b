/**
 * Longest-prefix-match map from networks to values: a path-compressed binary trie
 * (PATRICIA) per address family. Lookup and update walk at most one node per distinct
 * branching bit (≤ 33 for IPv4, ≤ 129 for IPv6), however many entries there are, so
 * 100k-entry allow/deny lists and country tables stay fast.
 */
import { SipprotError } from './errors.js';
import { type Address, explainNetwork, type Network, parseAddress, parseNetwork } from './ip.js';

export interface PrefixMatch<T> {
  network: Network;
  value: T;
}

interface Node<T> {
  /** Masked to `prefix` bits. */
  bytes: Uint8Array;
  prefix: number;
  children: [Node<T> | null, Node<T> | null];
  /** Null for a branching node that only joins two subtrees. */
  entry: PrefixMatch<T> | null;
}

function bitAt(bytes: Uint8Array, i: number): 0 | 1 {
  return ((bytes[i >> 3]! >> (7 - (i & 7))) & 1) as 0 | 1;
}

/** Number of leading bits a and b share, at most `limit`. */
function commonBits(a: Uint8Array, b: Uint8Array, limit: number): number {
  let i = 0;
  while (i < limit) {
    const x = a[i >> 3]! ^ b[i >> 3]!;
    if (x === 0) {
      i += 8;
      continue;
    }
    return Math.min(limit, i + Math.clz32(x) - 24);
  }
  return limit;
}

function matches(node: Uint8Array, key: Uint8Array, prefix: number): boolean {
  const full = prefix >> 3;
  for (let i = 0; i < full; i++) if (node[i] !== key[i]) return false;
  const rest = prefix & 7;
  if (rest === 0) return true;
  return ((node[full]! ^ key[full]!) & (0xff << (8 - rest)) & 0xff) === 0;
}

function masked(bytes: Uint8Array, prefix: number): Uint8Array {
  const out = new Uint8Array(bytes.length);
  const full = prefix >> 3;
  out.set(bytes.subarray(0, full));
  const rest = prefix & 7;
  if (rest) out[full] = bytes[full]! & (0xff << (8 - rest)) & 0xff;
  return out;
}

function leaf<T>(entry: PrefixMatch<T>): Node<T> {
  return { bytes: entry.network.bytes, prefix: entry.network.prefix, children: [null, null], entry };
}

function toNetwork(n: Network | string): Network | null {
  return typeof n === 'string' ? parseNetwork(n) : n;
}

function toAddress(a: Address | string): Address | null {
  return typeof a === 'string' ? parseAddress(a) : a;
}

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
    let parent: Node<T> | null = null;
    let dir: 0 | 1 = 0;
    let node = net.family === 4 ? this.v4 : this.v6;
    const put = (n: Node<T>) => {
      if (parent) parent.children[dir] = n;
      else if (net.family === 4) this.v4 = n;
      else this.v6 = n;
    };
    for (;;) {
      if (!node) {
        put(leaf(entry));
        this.count++;
        return;
      }
      const c = commonBits(node.bytes, net.bytes, Math.min(node.prefix, net.prefix));
      if (c === node.prefix) {
        if (node.prefix === net.prefix) {
          if (!node.entry) this.count++;
          node.entry = entry;
          return;
        }
        parent = node;
        dir = bitAt(net.bytes, node.prefix);
        node = node.children[dir];
        continue;
      }
      if (c === net.prefix) {
        const above = leaf(entry);
        above.children[bitAt(node.bytes, c)] = node;
        put(above);
      } else {
        const fork: Node<T> = { bytes: masked(net.bytes, c), prefix: c, children: [null, null], entry: null };
        fork.children[bitAt(net.bytes, c)] = leaf(entry);
        fork.children[bitAt(node.bytes, c)] = node;
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
      const step = path[i]!;
      const parent = i > 0 ? path[i - 1]!.node : null;
      if (parent) parent.children[step.dir] = n;
      else if (net.family === 4) this.v4 = n;
      else this.v6 = n;
    };
    const [a, b] = node.children;
    if (a && b) return true;
    if (a || b) {
      replace(path.length - 1, a ?? b);
      return true;
    }
    replace(path.length - 1, null);
    // A branching node left with one child no longer branches: splice it out.
    const up = path.length - 2;
    if (up >= 0) {
      const parent = path[up]!.node;
      if (!parent.entry) replace(up, parent.children[0] ?? parent.children[1]);
    }
    return true;
  }

  /** The longest (most specific) network containing the address. */
  lookup(address: Address | string): PrefixMatch<T> | undefined {
    const addr = toAddress(address);
    if (!addr) return undefined;
    const key = addr.bytes;
    const max = key.length * 8;
    let node = addr.family === 4 ? this.v4 : this.v6;
    let best: PrefixMatch<T> | undefined;
    while (node && matches(node.bytes, key, node.prefix)) {
      if (node.entry) best = node.entry;
      if (node.prefix === max) break;
      node = node.children[bitAt(key, node.prefix)];
    }
    return best;
  }

  /** Every network containing the address, least specific first. */
  lookupAll(address: Address | string): PrefixMatch<T>[] {
    const addr = toAddress(address);
    const out: PrefixMatch<T>[] = [];
    if (!addr) return out;
    const max = addr.bytes.length * 8;
    let node = addr.family === 4 ? this.v4 : this.v6;
    while (node && matches(node.bytes, addr.bytes, node.prefix)) {
      if (node.entry) out.push(node.entry);
      if (node.prefix === max) break;
      node = node.children[bitAt(addr.bytes, node.prefix)];
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
        if (node.children[1]) stack.push(node.children[1]);
        if (node.children[0]) stack.push(node.children[0]);
      }
    }
  }

  [Symbol.iterator](): IterableIterator<PrefixMatch<T>> {
    return this.entries();
  }

  /** Nodes from the root down to the node for exactly `net` (last); empty if there is none. */
  private findPath(net: Network): Array<{ node: Node<T>; dir: 0 | 1 }> {
    const path: Array<{ node: Node<T>; dir: 0 | 1 }> = [];
    let node = net.family === 4 ? this.v4 : this.v6;
    let dir: 0 | 1 = 0;
    while (node && node.prefix <= net.prefix && matches(node.bytes, net.bytes, node.prefix)) {
      path.push({ node, dir });
      if (node.prefix === net.prefix) return path;
      dir = bitAt(net.bytes, node.prefix);
      node = node.children[dir];
    }
    return [];
  }
}
