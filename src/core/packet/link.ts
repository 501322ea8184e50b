/**
 * Link layers: where the IP packet starts in a captured frame. Covers what tcpdump and
 * libpcap write on Linux and the BSDs: Ethernet (802.1Q/802.1ad/QinQ tags, PPPoE
 * sessions), Linux cooked v1 and v2 (`-i any`), raw IP, BSD null/loop.
 */

export const LINK_NULL = 0;
export const LINK_ETHERNET = 1;
export const LINK_RAW_12 = 12;
export const LINK_RAW_14 = 14;
export const LINK_RAW = 101;
export const LINK_LOOP = 108;
export const LINK_LINUX_SLL = 113;
export const LINK_IPV4 = 228;
export const LINK_IPV6 = 229;
export const LINK_LINUX_SLL2 = 276;

/** Link types push() understands. */
export const SUPPORTED_LINK_TYPES: readonly number[] = [
  LINK_NULL,
  LINK_ETHERNET,
  LINK_RAW_12,
  LINK_RAW_14,
  LINK_RAW,
  LINK_LOOP,
  LINK_LINUX_SLL,
  LINK_IPV4,
  LINK_IPV6,
  LINK_LINUX_SLL2,
];

const ETH_IPV4 = 0x0800;
const ETH_IPV6 = 0x86dd;
const ETH_PPPOE_SESSION = 0x8864;
const MAX_TAGS = 4;

/**
 * The offset of the IP header in `frame` times 16, plus the IP version (4 or 6);
 * -1 when the frame carries no IP packet or is too short. (One number, no allocation.)
 * The frame is frame[s, e) (default: all of it), so a reader can pass the buffer a record
 * sits in instead of a view per record; the offset returned is into `frame`.
 */
export function ipOffset(linkType: number, frame: Uint8Array, s = 0, e = frame.length): number {
  const n = e - s;
  switch (linkType) {
    case LINK_ETHERNET:
      return n < 14 ? -1 : etherType(frame, e, s + 12, (frame[s + 12]! << 8) | frame[s + 13]!);
    case LINK_LINUX_SLL:
      // packet type(2) ARPHRD(2) addr len(2) addr(8) protocol(2)
      return n < 16 ? -1 : etherType(frame, e, s + 14, (frame[s + 14]! << 8) | frame[s + 15]!);
    case LINK_LINUX_SLL2: {
      // protocol(2) reserved(2) ifindex(4) ARPHRD(2) packet type(1) addr len(1) addr(8)
      if (n < 20) return -1;
      const proto = (frame[s]! << 8) | frame[s + 1]!;
      const at = s + 20;
      return proto === ETH_IPV4
        ? at * 16 + 4
        : proto === ETH_IPV6
          ? at * 16 + 6
          : tagged(frame, e, at, proto);
    }
    case LINK_RAW:
    case LINK_RAW_12:
    case LINK_RAW_14:
      return byVersion(frame, e, s);
    case LINK_IPV4:
      return n > 0 && frame[s]! >> 4 === 4 ? s * 16 + 4 : -1;
    case LINK_IPV6:
      return n > 0 && frame[s]! >> 4 === 6 ? s * 16 + 6 : -1;
    case LINK_NULL: {
      // The address family in the capturing host's byte order.
      if (n < 4) return -1;
      const le = frame[s]! | (frame[s + 1]! << 8);
      const be = (frame[s + 2]! << 8) | frame[s + 3]!;
      return family(frame, e, s, frame[s + 2] === 0 && frame[s + 3] === 0 ? le : be);
    }
    case LINK_LOOP:
      return n < 4 ? -1 : family(frame, e, s, (frame[s + 2]! << 8) | frame[s + 3]!);
    default:
      return -1;
  }
}

/** An IP packet at `off` identified by its first nibble. */
function byVersion(frame: Uint8Array, e: number, off: number): number {
  if (e <= off) return -1;
  const v = frame[off]! >> 4;
  return v === 4 || v === 6 ? off * 16 + v : -1;
}

/** BSD address families: AF_INET 2; AF_INET6 differs per OS (Linux 10, *BSD 24/28, macOS 30). */
function family(frame: Uint8Array, e: number, s: number, af: number): number {
  const at = s + 4;
  if (af === 2) return byVersion(frame, e, at) === at * 16 + 4 ? at * 16 + 4 : -1;
  if (af === 10 || af === 24 || af === 28 || af === 30)
    return byVersion(frame, e, at) === at * 16 + 6 ? at * 16 + 6 : -1;
  return -1;
}

/** The EtherType at `at` (already read as `type`); walks VLAN tags and PPPoE. */
function etherType(frame: Uint8Array, e: number, at: number, type: number): number {
  const off = at + 2;
  if (type === ETH_IPV4) return off * 16 + 4;
  if (type === ETH_IPV6) return off * 16 + 6;
  return tagged(frame, e, off, type);
}

function tagged(frame: Uint8Array, e: number, off: number, type: number): number {
  for (let tags = 0; tags <= MAX_TAGS; tags++) {
    if (type === 0x8100 || type === 0x88a8 || type === 0x9100 || type === 0x9200) {
      // TCI(2) then the inner EtherType
      if (e < off + 4) return -1;
      type = (frame[off + 2]! << 8) | frame[off + 3]!;
      off += 4;
    } else if (type === ETH_PPPOE_SESSION) {
      // ver/type(1) code(1) session(2) length(2) PPP protocol(2)
      if (e < off + 8) return -1;
      const ppp = (frame[off + 6]! << 8) | frame[off + 7]!;
      off += 8;
      if (ppp === 0x0021) return byVersion(frame, e, off) === off * 16 + 4 ? off * 16 + 4 : -1;
      if (ppp === 0x0057) return byVersion(frame, e, off) === off * 16 + 6 ? off * 16 + 6 : -1;
      return -1;
    } else if (type === ETH_IPV4) {
      return off * 16 + 4;
    } else if (type === ETH_IPV6) {
      return off * 16 + 6;
    } else {
      return -1;
    }
  }
  return -1;
}
