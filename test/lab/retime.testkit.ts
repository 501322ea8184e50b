/**
 * Stretches the time of a capture: every packet keeps its bytes, its order and its
 * place relative to the first packet, but that distance is multiplied by FACTOR.
 *
 *   node --import tsx test/lab/retime.testkit.ts IN.pcap OUT.pcap FACTOR
 *
 * Why: some attacks are slow (issue 12: 2-3 guesses a minute for 74 minutes). The lab
 * records them with the real tools at FACTOR times their real pace and stretches the
 * capture afterwards, so a 2.5-minute recording replays as 74 minutes with the tools'
 * real packets. Every gap grows by the same factor, so an answer that came 0.2 ms after
 * its request comes 0.2 × FACTOR ms after it (6 ms for 30): still well inside any
 * request/answer matching window. Classic pcap only (what tcpdump writes); microsecond
 * or nanosecond stamps, either byte order. FACTOR: 1-1000.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Returns a copy of a classic pcap file with its packet times stretched around the first. */
export function retime(pcap: Buffer, factor: number): Buffer {
  if (!(factor >= 1 && factor <= 1000)) throw new Error(`factor ${factor} is not 1-1000`);
  const out = Buffer.from(pcap);
  const magic = out.readUInt32LE(0);
  let le: boolean;
  let nano: boolean;
  if (magic === 0xa1b2c3d4 || magic === 0xa1b23c4d) {
    le = true;
    nano = magic === 0xa1b23c4d;
  } else if (magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1) {
    le = false;
    nano = magic === 0x4d3cb2a1;
  } else throw new Error('not a classic pcap file (pcapng is not supported)');
  const unit = nano ? 1_000_000_000n : 1_000_000n;
  const rd = (o: number) => BigInt(le ? out.readUInt32LE(o) : out.readUInt32BE(o));
  const wr = (o: number, v: bigint) =>
    le ? out.writeUInt32LE(Number(v), o) : out.writeUInt32BE(Number(v), o);
  // Integer arithmetic in the stamp's own unit: no float rounding drifts the order.
  const num = BigInt(Math.round(factor * 1000));
  let first: bigint | null = null;
  let off = 24;
  while (off + 16 <= out.length) {
    const t = rd(off) * unit + rd(off + 4);
    if (first === null) first = t;
    const stretched = first + ((t - first) * num) / 1000n;
    wr(off, stretched / unit);
    wr(off + 4, stretched % unit);
    off += 16 + Number(rd(off + 8));
  }
  if (off !== out.length) throw new Error(`truncated capture: ${out.length - off} bytes left over`);
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [src, dst, f] = process.argv.slice(2);
  if (src === undefined || dst === undefined || f === undefined) {
    process.stderr.write('usage: retime.testkit.ts IN.pcap OUT.pcap FACTOR\n');
    process.exit(2);
  }
  writeFileSync(dst, retime(readFileSync(src), Number(f)));
}
