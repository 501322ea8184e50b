/**
 * Capture files in the decoder fuzzer: `sipprot replay` reads pcap and pcapng files an
 * admin was handed, so their parser (core/packet/capture-format.ts) sees untrusted bytes
 * too. An input is a small file (1–16 frames of a seed sequence, pcap in either byte
 * order and precision or pcapng with Enhanced or Simple blocks), mutated like a frame.
 * Oracle: parsed in one piece and parsed in chunks of N bytes, the way pcap-file.ts feeds
 * the parser from a stream (unconsumed bytes carried over, `need` honoured), the file
 * gives the same records and the same error: chunk boundaries must never change what a
 * replay sees. And no throw, finite times, frames within the 16 MiB record bound.
 */
import { CaptureParser, type CaptureRecord } from '../core/packet/capture-format.js';
import { writePcap, writePcapng } from '../core/packet/packets.testkit.js';
import type { SeedFrame } from './fuzz-corpus.testkit.js';
import { mutateBytes, type Rand } from './fuzz-mutate.testkit.js';

/** A small capture file of `frames`, maybe mutated. */
export function captureFile(r: Rand, frames: SeedFrame[], at: number, other: Uint8Array): Uint8Array {
  const records = frames.map((f, i) => ({ at: at + i * 0.001, frame: f.frame }));
  const lt = frames[0]?.linkType ?? 1;
  const file = r.chance(0.5)
    ? writePcap(records, { linkType: lt, nano: r.chance(0.5), bigEndian: r.chance(0.5) })
    : writePcapng(records, {
        interfaces: [{ linkType: lt, ...(r.chance(0.3) ? { tsresol: r.pick([6, 9, 0x80 | 20]) } : {}) }],
        bigEndian: r.chance(0.5),
        simple: r.chance(0.2),
      });
  return r.chance(0.85) ? mutateBytes(r, file, other) : file;
}

interface Parsed {
  records: string[];
  error: string | null;
}

const MAX_RECORD = 16 * 1024 * 1024;
const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');
const show = (out: CaptureRecord[]) =>
  out.map((x) => `${x.linkType} ${x.at} ${x.origLen} ${x.iface} ${hex(x.frame)}`);

function whole(bytes: Uint8Array): Parsed {
  const p = new CaptureParser();
  const out: CaptureRecord[] = [];
  p.parse(bytes, 0, true, out);
  return { records: show(out), error: p.error ? JSON.stringify(p.error) : null };
}

/** As pcap-file.ts reads a file: chunks of `chunk` bytes, leftovers carried into the next call. */
function chunked(bytes: Uint8Array, chunk: number): Parsed {
  const p = new CaptureParser();
  const out: CaptureRecord[] = [];
  let pending = new Uint8Array(0);
  let base = 0;
  for (let off = 0; off < bytes.length && p.error === null; off += chunk) {
    const next = new Uint8Array(pending.length + Math.min(chunk, bytes.length - off));
    next.set(pending);
    next.set(bytes.subarray(off, off + chunk), pending.length);
    pending = next;
    if (pending.length < p.need) continue;
    const used = p.parse(pending, base, false, out);
    base += used;
    pending = pending.slice(used);
  }
  if (p.error === null) p.parse(pending, base, true, out);
  return { records: show(out), error: p.error ? JSON.stringify(p.error) : null };
}

/** [records parsed, what is wrong or null]. */
export function captureFileProblem(bytes: Uint8Array, chunk: number): [number, string | null] {
  const a = whole(bytes);
  const b = chunked(bytes, chunk);
  const n = a.records.length;
  if (a.error !== b.error)
    return [n, `capture file error differs with ${chunk}-byte chunks: ${a.error} / ${b.error}`];
  if (a.records.length !== b.records.length || a.records.some((x, i) => x !== b.records[i]))
    return [
      n,
      `capture file records differ with ${chunk}-byte chunks: ${a.records.length} / ${b.records.length}`,
    ];
  for (const x of a.records) {
    const [lt, at, orig, , frame] = x.split(' ');
    if (!Number.isFinite(Number(at))) return [n, `record time ${at}`];
    if (!Number.isInteger(Number(lt)) || !Number.isInteger(Number(orig)) || Number(orig) < 0)
      return [n, `record link type ${lt}, length ${orig}`];
    if ((frame ?? '').length / 2 > MAX_RECORD) return [n, 'record larger than 16 MiB'];
  }
  return [n, null];
}
