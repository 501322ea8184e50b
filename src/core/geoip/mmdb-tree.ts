/**
 * The search tree of a MaxMind DB file (https://maxmind.github.io/MaxMind-DB/), walked
 * whole: every network with data, as inclusive ranges with the record's data pointer.
 * The reader libraries answer one address at a time; sipprot needs every range of a
 * country for the kernel's sets, so the tree is walked here and each distinct pointer is
 * decoded once by the library (src/geoip/mmdb.ts).
 *
 * - Nodes are `recordSize` × 2 bits (24, 28 or 32); a record below `nodeCount` is a node,
 *   equal to it is "no data", above it points into the data section.
 * - An IPv6 tree holds IPv4 at ::/96. MaxMind files also alias ::ffff:0:0/96, 2001::/32
 *   and 2002::/16 to that same node: a node reached twice is one subtree, so the IPv6 walk
 *   stops at the IPv4 root and the IPv4 ranges are walked once, as IPv4.
 * - Bounded: the walk visits each node at most once per path and refuses a tree whose
 *   nodes run past the buffer or loop (a node deeper than the address length).
 */
import { SipprotError } from '../errors.js';
import type { Family } from '../net/ip.js';

export interface MmdbTree {
  /** The file's bytes (the tree is at the start). */
  bytes: Uint8Array;
  nodeCount: number;
  recordSize: number;
  /** 4 or 6 (metadata ip_version). */
  ipVersion: number;
}

/** A leaf: [start, end] inclusive and the record value pointing at its data. */
export interface MmdbLeaf {
  start: bigint;
  end: bigint;
  pointer: number;
}

const bad = (why: string) => new SipprotError('SP_ERR_GEOIP', `not a usable MaxMind DB: ${why}`);

function reader(t: MmdbTree): (node: number, right: boolean) => number {
  const b = t.bytes;
  const size = (t.recordSize * 2) / 8;
  if (![24, 28, 32].includes(t.recordSize)) throw bad(`record size ${t.recordSize}`);
  if (!Number.isInteger(t.nodeCount) || t.nodeCount <= 0 || t.nodeCount * size > b.length) {
    throw bad(`${t.nodeCount} nodes do not fit the file`);
  }
  const u24 = (o: number) => ((b[o] as number) << 16) | ((b[o + 1] as number) << 8) | (b[o + 2] as number);
  const u32 = (o: number) => u24(o) * 256 + (b[o + 3] as number);
  if (t.recordSize === 24) return (n, r) => u24(n * 6 + (r ? 3 : 0));
  if (t.recordSize === 32) return (n, r) => u32(n * 8 + (r ? 4 : 0));
  return (n, r) => {
    const o = n * 7;
    const mid = b[o + 3] as number;
    return r ? (mid & 0x0f) * 2 ** 24 + u24(o + 4) : (mid >> 4) * 2 ** 24 + u24(o);
  };
}

/** The IPv4 root: ::/96 in an IPv6 tree, the root in an IPv4 one (may be a record, not a node). */
function ipv4Root(t: MmdbTree, read: (n: number, r: boolean) => number): number {
  if (t.ipVersion === 4) return 0;
  let node = 0;
  for (let i = 0; i < 96 && node < t.nodeCount; i++) node = read(node, false);
  return node;
}

function walk(
  t: MmdbTree,
  read: (n: number, r: boolean) => number,
  root: number,
  bits: number,
  skip: number,
  out: MmdbLeaf[],
): void {
  const stack: Array<[number, bigint, number]> = [[root, 0n, 0]];
  // Each node has one parent in a sound file: more visits than nodes means shared subtrees
  // (a damaged or hostile file whose walk would not end in our lifetime).
  let budget = 2 * t.nodeCount + 16;
  while (stack.length > 0) {
    const [node, start, depth] = stack.pop()!;
    if (--budget < 0) throw bad('nodes are reached more than once (a damaged tree)');
    if (node > t.nodeCount) {
      out.push({ start, end: start + (1n << BigInt(bits - depth)) - 1n, pointer: node });
      continue;
    }
    if (node === t.nodeCount) continue;
    if (node === skip && depth > 0) continue;
    if (depth >= bits) throw bad('the tree is deeper than the address length');
    const half = 1n << BigInt(bits - depth - 1);
    // Right first onto the stack, so leaves come out in address order.
    stack.push([read(node, true), start + half, depth + 1], [read(node, false), start, depth + 1]);
  }
}

/** Every leaf of the tree, per family, in address order. */
export function mmdbLeaves(t: MmdbTree): Record<Family, MmdbLeaf[]> {
  if (t.ipVersion !== 4 && t.ipVersion !== 6) throw bad(`ip_version ${t.ipVersion}`);
  const read = reader(t);
  const v4root = ipv4Root(t, read);
  const out: Record<Family, MmdbLeaf[]> = { 4: [], 6: [] };
  walk(t, read, v4root, 32, -1, out[4]);
  // The IPv6 walk stops at the IPv4 root wherever it is linked (::/96 and its aliases).
  if (t.ipVersion === 6) walk(t, read, 0, 128, v4root < t.nodeCount ? v4root : -1, out[6]);
  return out;
}
