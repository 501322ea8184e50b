/**
 * IPv4 and IPv6 headers: addresses, the upper-layer protocol and where its bytes are,
 * fragment facts. Checksums are not verified: captures on the sending host see packets
 * before the NIC fills them in (checksum offload), and a guard must see those too.
 */
import { u32be } from '../net/bytes.js';

/** Network-layer facts of one packet; one instance is reused per Decoder. */
export class IpInfo {
  version = 4;
  /** The buffer holding the header (addresses are read from it). */
  buf: Uint8Array = new Uint8Array(0);
  srcOff = 0;
  dstOff = 0;
  /** Upper-layer protocol after IPv6 extension headers (6 TCP, 17 UDP, ...). */
  proto = 0;
  /** Upper-layer bytes: buf[off, end). */
  off = 0;
  end = 0;
  fragment = false;
  /** Fragment offset in bytes. */
  fragOffset = 0;
  moreFragments = false;
  fragId = 0;
}

export const IP_OK = 0;
/** Bad header: lengths that do not add up, a truncated packet. */
export const IP_MALFORMED = 1;
/** A valid packet we do not look into (ESP, no next header, jumbogram). */
export const IP_OTHER = 2;

const MAX_EXT_HEADERS = 10;

/** The IPv4 header at buf[off]; the packet ends by `end` at the latest (the frame's end). */
export function parseIpv4(buf: Uint8Array, off: number, out: IpInfo, end = buf.length): number {
  const avail = end - off;
  if (avail < 20) return IP_MALFORMED;
  const vihl = buf[off]!;
  const ihl = (vihl & 15) * 4;
  if (vihl >> 4 !== 4 || ihl < 20) return IP_MALFORMED;
  let total = (buf[off + 2]! << 8) | buf[off + 3]!;
  // 0 = a TSO super-packet captured before segmentation: the frame holds it all.
  if (total === 0) total = avail;
  if (total < ihl || total > avail) return IP_MALFORMED;
  const frag = (buf[off + 6]! << 8) | buf[off + 7]!;
  out.version = 4;
  out.buf = buf;
  out.srcOff = off + 12;
  out.dstOff = off + 16;
  out.proto = buf[off + 9]!;
  out.off = off + ihl;
  out.end = off + total; // Ethernet padding past the IP length is dropped here
  out.moreFragments = (frag & 0x2000) !== 0;
  out.fragOffset = (frag & 0x1fff) * 8;
  out.fragment = out.moreFragments || out.fragOffset !== 0;
  out.fragId = (buf[off + 4]! << 8) | buf[off + 5]!;
  return IP_OK;
}

export function parseIpv6(buf: Uint8Array, off: number, out: IpInfo, end = buf.length): number {
  const avail = end - off;
  if (avail < 40 || buf[off]! >> 4 !== 6) return IP_MALFORMED;
  let plen = (buf[off + 4]! << 8) | buf[off + 5]!;
  if (plen === 0) plen = avail - 40; // jumbogram or TSO capture: trust the frame
  if (40 + plen > avail) return IP_MALFORMED;
  out.version = 6;
  out.buf = buf;
  out.srcOff = off + 8;
  out.dstOff = off + 24;
  out.fragment = false;
  out.moreFragments = false;
  out.fragOffset = 0;
  out.fragId = 0;
  return walkIpv6(buf, off + 40, off + 40 + plen, buf[off + 6]!, out, true);
}

/**
 * Walk IPv6 extension headers from `nh` at buf[p]; sets proto/off/end, and the fragment
 * fields when a Fragment header is met (what follows it is then fragment data).
 */
export function walkIpv6(
  buf: Uint8Array,
  p: number,
  end: number,
  nh: number,
  out: IpInfo,
  allowFragment: boolean,
): number {
  for (let i = 0; i < MAX_EXT_HEADERS; i++) {
    switch (nh) {
      case 0: // hop-by-hop
      case 43: // routing
      case 60: // destination options
      case 135: // mobility
      case 139: // HIP
      case 140: {
        // shim6
        if (p + 8 > end) return IP_MALFORMED;
        const len = (buf[p + 1]! + 1) * 8;
        if (p + len > end) return IP_MALFORMED;
        nh = buf[p]!;
        p += len;
        break;
      }
      case 51: {
        // AH: length in 4-octet units minus 2
        if (p + 8 > end) return IP_MALFORMED;
        const len = (buf[p + 1]! + 2) * 4;
        if (p + len > end) return IP_MALFORMED;
        nh = buf[p]!;
        p += len;
        break;
      }
      case 44: {
        if (!allowFragment || p + 8 > end) return IP_MALFORMED;
        const fo = (buf[p + 2]! << 8) | buf[p + 3]!;
        out.fragOffset = fo & 0xfff8;
        out.moreFragments = (fo & 1) !== 0;
        out.fragId = u32be(buf, p + 4);
        // An atomic fragment (offset 0, no more) is a whole packet (RFC 6946).
        out.fragment = out.fragOffset !== 0 || out.moreFragments;
        out.proto = buf[p]!;
        out.off = p + 8;
        out.end = end;
        if (out.fragment) return IP_OK;
        nh = buf[p]!;
        p += 8;
        allowFragment = false;
        break;
      }
      case 59: // no next header
      case 50: // ESP: encrypted
        return IP_OTHER;
      default:
        out.proto = nh;
        out.off = p;
        out.end = end;
        return IP_OK;
    }
  }
  return IP_MALFORMED;
}
