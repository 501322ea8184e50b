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
 */
export function ipOffset(linkType: number, frame: Uint8Array): number {
  switch (linkType) {
    case LINK_ETHERNET:
      return frame.length < 14 ? -1 : etherType(frame, 12, (frame[12]! << 8) | frame[13]!);
    case LINK_LINUX_SLL:
      // packet type(2) ARPHRD(2) addr len(2) addr(8) protocol(2)
      return frame.length < 16 ? -1 : etherType(frame, 14, (frame[14]! << 8) | frame[15]!);
    case LINK_LINUX_SLL2: {
      // protocol(2) reserved(2) ifindex(4) ARPHRD(2) packet type(1) addr len(1) addr(8)
      if (frame.length < 20) return -1;
      const proto = (frame[0]! << 8) | frame[1]!;
      return proto === ETH_IPV4 ? 20 * 16 + 4 : proto === ETH_IPV6 ? 20 * 16 + 6 : tagged(frame, 20, proto);
    }
    case LINK_RAW:
    case LINK_RAW_12:
    case LINK_RAW_14:
      return byVersion(frame, 0);
    case LINK_IPV4:
      return frame.length > 0 && frame[0]! >> 4 === 4 ? 4 : -1;
    case LINK_IPV6:
      return frame.length > 0 && frame[0]! >> 4 === 6 ? 6 : -1;
    case LINK_NULL: {
      // The address family in the capturing host's byte order.
      if (frame.length < 4) return -1;
      const le = frame[0]! | (frame[1]! << 8);
      const be = (frame[2]! << 8) | frame[3]!;
      return family(frame, frame[2] === 0 && frame[3] === 0 ? le : be);
    }
    case LINK_LOOP:
      return frame.length < 4 ? -1 : family(frame, (frame[2]! << 8) | frame[3]!);
    default:
      return -1;
  }
}

/** An IP packet identified by its first nibble. */
function byVersion(frame: Uint8Array, off: number): number {
  if (frame.length <= off) return -1;
  const v = frame[off]! >> 4;
  return v === 4 || v === 6 ? off * 16 + v : -1;
}

/** BSD address families: AF_INET 2; AF_INET6 differs per OS (Linux 10, *BSD 24/28, macOS 30). */
function family(frame: Uint8Array, af: number): number {
  if (af === 2) return byVersion(frame, 4) === 4 * 16 + 4 ? 4 * 16 + 4 : -1;
  if (af === 10 || af === 24 || af === 28 || af === 30)
    return byVersion(frame, 4) === 4 * 16 + 6 ? 4 * 16 + 6 : -1;
  return -1;
}

/** The EtherType at `at` (already read as `type`); walks VLAN tags and PPPoE. */
function etherType(frame: Uint8Array, at: number, type: number): number {
  const off = at + 2;
  if (type === ETH_IPV4) return off * 16 + 4;
  if (type === ETH_IPV6) return off * 16 + 6;
  return tagged(frame, off, type);
}

function tagged(frame: Uint8Array, off: number, type: number): number {
  for (let tags = 0; tags <= MAX_TAGS; tags++) {
    if (type === 0x8100 || type === 0x88a8 || type === 0x9100 || type === 0x9200) {
      // TCI(2) then the inner EtherType
      if (frame.length < off + 4) return -1;
      type = (frame[off + 2]! << 8) | frame[off + 3]!;
      off += 4;
    } else if (type === ETH_PPPOE_SESSION) {
      // ver/type(1) code(1) session(2) length(2) PPP protocol(2)
      if (frame.length < off + 8) return -1;
      const ppp = (frame[off + 6]! << 8) | frame[off + 7]!;
      off += 8;
      if (ppp === 0x0021) return byVersion(frame, off) === off * 16 + 4 ? off * 16 + 4 : -1;
      if (ppp === 0x0057) return byVersion(frame, off) === off * 16 + 6 ? off * 16 + 6 : -1;
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
