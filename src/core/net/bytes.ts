/**
 * Four bytes in network order as an unsigned 32-bit number: an IPv4 address (the same
 * number canonicalV4Number gives its dotted quad), a HEP chunk, a TCP sequence number, a
 * fragment id. One definition for the decoders, the lists and the firewall's key packing.
 */
export function u32be(b: Uint8Array, off = 0): number {
  return ((b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!) >>> 0;
}
