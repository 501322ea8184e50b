/**
 * A fast pcap writer for generated benchmark captures: UDP over IPv4/IPv6 in Ethernet
 * (LINKTYPE 1) or Linux cooked v1 (LINKTYPE 113) frames, microsecond timestamps, IPv4
 * header and UDP checksums filled in (so `tcpdump -r` reads the file as a clean capture).
 * Frames go into one reusable buffer that is flushed to the file in 8 MiB writes: the
 * generator writes a gigabyte in seconds and holds no frame in memory.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { formatAddress } from '../src/core/net/ip.js';

export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_LINUX_SLL = 113;

/** An address as text and as bytes, parsed once. */
export interface Addr {
  text: string;
  bytes: Uint8Array;
  v6: boolean;
}

export function addr4(n: number): Addr {
  const b = Uint8Array.of(n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
  return { text: b.join('.'), bytes: b, v6: false };
}

/** An IPv6 address from eight 16-bit words (text canonical as src/core/ip.ts writes it). */
export function addr6(words: number[]): Addr {
  const b = new Uint8Array(16);
  words.forEach((w, i) => {
    b[i * 2] = (w >>> 8) & 255;
    b[i * 2 + 1] = w & 255;
  });
  return { text: formatAddress({ family: 6, bytes: b }), bytes: b, v6: true };
}

const CHUNK = 8 * 1024 * 1024;
const MAX_FRAME = 65536;
const MAC_PBX = [0x02, 0x50, 0x42, 0x58, 0x00, 0x01];
const MAC_GW = [0x02, 0x47, 0x57, 0x00, 0x00, 0x01];

export class PcapWriter {
  private readonly fd: number;
  private readonly buf = Buffer.allocUnsafe(CHUNK);
  private off = 0;
  private ipId = 1;
  frames = 0;
  bytes = 0;

  /** `local`: the capturing host's address bytes (frames to it are inbound). */
  constructor(
    path: string,
    readonly linkType: number,
    private readonly local: Addr[],
  ) {
    this.fd = openSync(path, 'w');
    const h = Buffer.alloc(24);
    h.writeUInt32LE(0xa1b2c3d4, 0);
    h.writeUInt16LE(2, 4);
    h.writeUInt16LE(4, 6);
    h.writeUInt32LE(262144, 16);
    h.writeUInt32LE(linkType, 20);
    writeSync(this.fd, h);
    this.bytes = 24;
  }

  /** One UDP datagram carrying `text` (latin1), at `atUs` microseconds since the epoch. */
  udp(atUs: number, src: Addr, sport: number, dst: Addr, dport: number, text: string): void {
    if (this.off + MAX_FRAME > CHUNK) this.flush();
    const b = this.buf;
    const rec = this.off;
    const link = this.linkType === LINKTYPE_ETHERNET ? 14 : 16;
    const ipStart = rec + 16 + link;
    const ipLen = src.v6 ? 40 : 20;
    const udpStart = ipStart + ipLen;
    const payStart = udpStart + 8;
    const payLen = b.write(text, payStart, 'latin1');
    const udpLen = 8 + payLen;
    const frameLen = link + ipLen + udpLen;
    // record header
    b.writeUInt32LE(Math.floor(atUs / 1e6), rec);
    b.writeUInt32LE(atUs % 1e6, rec + 4);
    b.writeUInt32LE(frameLen, rec + 8);
    b.writeUInt32LE(frameLen, rec + 12);
    // link layer
    const inbound = this.isLocal(dst);
    const l = rec + 16;
    const etherType = src.v6 ? 0x86dd : 0x0800;
    if (this.linkType === LINKTYPE_ETHERNET) {
      const [to, from] = inbound ? [MAC_PBX, MAC_GW] : [MAC_GW, MAC_PBX];
      for (let i = 0; i < 6; i++) {
        b[l + i] = to[i]!;
        b[l + 6 + i] = from[i]!;
      }
      b.writeUInt16BE(etherType, l + 12);
    } else {
      b.writeUInt16BE(inbound ? 0 : 4, l); // to us / outgoing
      b.writeUInt16BE(1, l + 2); // ARPHRD_ETHER
      b.writeUInt16BE(6, l + 4);
      const from = inbound ? MAC_GW : MAC_PBX;
      for (let i = 0; i < 6; i++) b[l + 6 + i] = from[i]!;
      b[l + 12] = 0;
      b[l + 13] = 0;
      b.writeUInt16BE(etherType, l + 14);
    }
    // IP
    if (src.v6) {
      b.writeUInt32BE(0x60000000, ipStart);
      b.writeUInt16BE(udpLen, ipStart + 4);
      b[ipStart + 6] = 17;
      b[ipStart + 7] = 64;
      b.set(src.bytes, ipStart + 8);
      b.set(dst.bytes, ipStart + 24);
    } else {
      b[ipStart] = 0x45;
      b[ipStart + 1] = 0;
      b.writeUInt16BE(20 + udpLen, ipStart + 2);
      b.writeUInt16BE(this.ipId, ipStart + 4);
      this.ipId = (this.ipId + 1) & 0xffff;
      b.writeUInt16BE(0x4000, ipStart + 6); // DF
      b[ipStart + 8] = 64;
      b[ipStart + 9] = 17;
      b.writeUInt16BE(0, ipStart + 10);
      b.set(src.bytes, ipStart + 12);
      b.set(dst.bytes, ipStart + 16);
      b.writeUInt16BE(fold(sum16(b, ipStart, ipStart + 20, 0)), ipStart + 10);
    }
    // UDP, checksum over the pseudo-header, header and payload
    b.writeUInt16BE(sport, udpStart);
    b.writeUInt16BE(dport, udpStart + 2);
    b.writeUInt16BE(udpLen, udpStart + 4);
    b.writeUInt16BE(0, udpStart + 6);
    let s = src.v6 ? sum16(b, ipStart + 8, ipStart + 40, 0) : sum16(b, ipStart + 12, ipStart + 20, 0);
    s += 17 + udpLen;
    s = sum16(b, udpStart, payStart + payLen, s);
    const c = fold(s);
    b.writeUInt16BE(c === 0 ? 0xffff : c, udpStart + 6);
    this.off = rec + 16 + frameLen;
    this.frames++;
    this.bytes += 16 + frameLen;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }

  private isLocal(a: Addr): boolean {
    for (const l of this.local) if (l.bytes === a.bytes) return true;
    return false;
  }

  private flush(): void {
    let done = 0;
    while (done < this.off) done += writeSync(this.fd, this.buf, done, this.off - done);
    this.off = 0;
  }
}

/** One's-complement sum of 16-bit words in [start, end) (odd tail padded), added to `acc`. */
function sum16(b: Buffer, start: number, end: number, acc: number): number {
  let s = acc;
  let i = start;
  for (; i + 1 < end; i += 2) s += (b[i]! << 8) | b[i + 1]!;
  if (i < end) s += b[i]! << 8;
  return s;
}

function fold(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 65536);
  return ~s & 0xffff;
}
