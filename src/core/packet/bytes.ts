/**
 * A copy of `buf[off, end)` that outlives the packet. Live capture hands the decoder a
 * view of libpcap's one buffer, rewritten by the next packet; Buffer#slice is a view
 * there while Uint8Array#slice copies, so `buf.slice()` copied in tests and kept garbage
 * live. Everything the decoder keeps across packets (fragments, held TCP segments) goes
 * through here.
 */
export function copyBytes(buf: Uint8Array, off: number, end: number): Uint8Array {
  const out = new Uint8Array(end - off);
  out.set(buf.subarray(off, end));
  return out;
}
