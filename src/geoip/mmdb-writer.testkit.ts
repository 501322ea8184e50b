/**
 * A small MaxMind DB writer for tests (format: https://maxmind.github.io/MaxMind-DB/), so
 * the tests make their own `.mmdb` files and never download a real database. Writes what
 * GeoLite2-Country files hold: an IPv6 tree (or IPv4 with ipVersion 4), IPv4 networks under
 * ::/96 with MaxMind's aliases (::ffff:0:0/96, 2002::/16) linked to the same node, data
 * records as maps, strings, unsigned ints and arrays, and the metadata map.
 */
import type { Family } from '../core/net/ip.js';
import { parseNetwork } from '../core/net/ip.js';

type Value = string | number | bigint | boolean | Value[] | { [k: string]: Value };

interface Node {
  l: Node | Leaf | null;
  r: Node | Leaf | null;
}
interface Leaf {
  data: Value;
}

function ctrl(type: number, size: number): number[] {
  const ext = type > 7;
  const head = (ext ? 0 : type << 5) & 0xe0;
  const out: number[] = [];
  if (size < 29) out.push(head | size);
  else if (size < 285) out.push(head | 29, size - 29);
  else if (size < 65821) out.push(head | 30, (size - 285) >> 8, (size - 285) & 255);
  else out.push(head | 31, ((size - 65821) >> 16) & 255, ((size - 65821) >> 8) & 255, (size - 65821) & 255);
  if (ext) out.splice(1, 0, type - 7);
  return out;
}

function beBytes(v: bigint): number[] {
  const out: number[] = [];
  for (let x = v; x > 0n; x >>= 8n) out.unshift(Number(x & 255n));
  return out;
}

/** One value in the data section format. */
export function encodeValue(v: Value): number[] {
  if (typeof v === 'string') {
    const b = [...Buffer.from(v, 'utf8')];
    return [...ctrl(2, b.length), ...b];
  }
  if (typeof v === 'boolean') return ctrl(14, v ? 1 : 0);
  if (typeof v === 'number' || typeof v === 'bigint') {
    const n = BigInt(v);
    const b = beBytes(n);
    const type = n < 1n << 16n ? 5 : n < 1n << 32n ? 6 : 9;
    return [...ctrl(type, b.length), ...b];
  }
  if (Array.isArray(v)) return [...ctrl(11, v.length), ...v.flatMap(encodeValue)];
  const keys = Object.keys(v);
  return [
    ...ctrl(7, keys.length),
    ...keys.flatMap((k) => [...encodeValue(k), ...encodeValue(v[k] as Value)]),
  ];
}

function bitsOf(bytes: Uint8Array, prefix: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < prefix; i++) out.push(((bytes[i >> 3] as number) >> (7 - (i & 7))) & 1);
  return out;
}

export interface MmdbNetwork {
  network: string;
  data: Value;
}

export interface MmdbOptions {
  ipVersion?: 4 | 6;
  recordSize?: 24 | 28 | 32;
  databaseType?: string;
  buildEpoch?: number;
  /** Link ::ffff:0:0/96 and 2002::/16 to the IPv4 subtree, as MaxMind's files do (default true). */
  aliases?: boolean;
}

/** A .mmdb file holding `networks` (IPv4 ones under ::/96 in an IPv6 tree). */
export function writeMmdb(networks: readonly MmdbNetwork[], o: MmdbOptions = {}): Buffer {
  const ipVersion = o.ipVersion ?? 6;
  const recordSize = o.recordSize ?? 24;
  const root: Node = { l: null, r: null };
  const insert = (bits: number[], target: Node | Leaf) => {
    let n = root;
    for (let i = 0; i < bits.length - 1; i++) {
      const side = bits[i] ? 'r' : 'l';
      const next = n[side];
      if (next && 'data' in next) throw new Error('a network inside another network is not supported here');
      if (next) n = next;
      else {
        const created: Node = { l: null, r: null };
        n[side] = created;
        n = created;
      }
    }
    n[bits[bits.length - 1] ? 'r' : 'l'] = target;
  };
  const v4prefix = ipVersion === 6 ? Array<number>(96).fill(0) : [];
  for (const { network, data } of networks) {
    const net = parseNetwork(network);
    if (!net) throw new Error(`bad network ${network}`);
    const family: Family = net.family;
    if (family === 6 && ipVersion === 4) throw new Error('IPv6 network in an IPv4 tree');
    insert([...(family === 4 ? v4prefix : []), ...bitsOf(net.bytes, net.prefix)], { data });
  }
  if (ipVersion === 6 && o.aliases !== false) {
    let v4: Node | Leaf | null = root;
    for (let i = 0; i < 96 && v4 && !('data' in v4); i++) v4 = v4.l;
    if (v4) {
      insert([...Array<number>(80).fill(0), ...Array<number>(16).fill(1)], v4);
      insert([0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0], v4);
    }
  }
  // Number the nodes breadth-first (each once, aliases share a number), then lay out data.
  const ids = new Map<Node, number>();
  const order: Node[] = [];
  const queue: Node[] = [root];
  while (queue.length > 0) {
    const n = queue.shift()!;
    if (ids.has(n)) continue;
    ids.set(n, order.length);
    order.push(n);
    for (const c of [n.l, n.r]) if (c && !('data' in c) && !ids.has(c)) queue.push(c);
  }
  const nodeCount = order.length;
  const data: number[] = [];
  const offsets = new Map<Leaf, number>();
  const record = (c: Node | Leaf | null): number => {
    if (c === null) return nodeCount;
    if (!('data' in c)) return ids.get(c)!;
    let off = offsets.get(c);
    if (off === undefined) {
      off = data.length;
      offsets.set(c, off);
      data.push(...encodeValue(c.data));
    }
    return nodeCount + 16 + off;
  };
  const nodeBytes = (recordSize * 2) / 8;
  const tree = Buffer.alloc(nodeCount * nodeBytes);
  order.forEach((n, i) => {
    const [l, r] = [record(n.l), record(n.r)];
    const o2 = i * nodeBytes;
    if (recordSize === 24) {
      tree.writeUIntBE(l, o2, 3);
      tree.writeUIntBE(r, o2 + 3, 3);
    } else if (recordSize === 32) {
      tree.writeUInt32BE(l, o2);
      tree.writeUInt32BE(r, o2 + 4);
    } else {
      tree.writeUIntBE(l & 0xffffff, o2, 3);
      tree[o2 + 3] = ((l >>> 24) << 4) | (r >>> 24);
      tree.writeUIntBE(r & 0xffffff, o2 + 4, 3);
    }
  });
  const meta = encodeValue({
    node_count: nodeCount,
    record_size: recordSize,
    ip_version: ipVersion,
    database_type: o.databaseType ?? 'Test-Country',
    languages: ['en'],
    binary_format_major_version: 2,
    binary_format_minor_version: 0,
    build_epoch: BigInt(o.buildEpoch ?? 1_790_000_000),
    description: { en: 'sipprot test database' },
  });
  return Buffer.concat([
    tree,
    Buffer.alloc(16),
    Buffer.from(data),
    Buffer.from([0xab, 0xcd, 0xef]),
    Buffer.from('MaxMind.com'),
    Buffer.from(meta),
  ]);
}

/** A GeoLite2-Country style record. */
export function countryRecord(iso: string): Value {
  return { continent: { code: 'EU' }, country: { iso_code: iso, names: { en: iso } } };
}
