/** Test helpers: pcap and pcapng files as bytes (re-exported by build.ts). */
import { concatList } from './packets.testkit.js';

// ------------------------------------------------------------------ capture files

export interface CaptureFrame {
  /** Epoch seconds. */
  at: number;
  frame: Uint8Array;
  /** Length on the wire (default: the frame's). */
  origLen?: number;
  /** pcapng interface index (default 0). */
  iface?: number;
}

export interface PcapWriteOptions {
  linkType?: number;
  nano?: boolean;
  bigEndian?: boolean;
  snaplen?: number;
}

/** A classic pcap file. */
export function writePcap(records: CaptureFrame[], o: PcapWriteOptions = {}): Uint8Array {
  const le = !o.bigEndian;
  const parts: Uint8Array[] = [];
  const hdr = new DataView(new ArrayBuffer(24));
  hdr.setUint32(0, o.nano ? 0xa1b23c4d : 0xa1b2c3d4, le);
  hdr.setUint16(4, 2, le);
  hdr.setUint16(6, 4, le);
  hdr.setUint32(16, o.snaplen ?? 262144, le);
  hdr.setUint32(20, o.linkType ?? 1, le);
  parts.push(new Uint8Array(hdr.buffer));
  const unit = o.nano ? 1e9 : 1e6;
  for (const r of records) {
    const rh = new DataView(new ArrayBuffer(16));
    let sec = Math.floor(r.at);
    let frac = Math.round((r.at - sec) * unit);
    if (frac >= unit) {
      sec++;
      frac -= unit;
    }
    rh.setUint32(0, sec, le);
    rh.setUint32(4, frac, le);
    rh.setUint32(8, r.frame.length, le);
    rh.setUint32(12, r.origLen ?? r.frame.length, le);
    parts.push(new Uint8Array(rh.buffer), r.frame);
  }
  return concatList(parts);
}

export interface PcapngInterface {
  linkType: number;
  /** if_tsresol option byte: 6 = microseconds (default), 9 = ns, 0x80|n = 2^-n. */
  tsresol?: number;
  /** if_tsoffset option: seconds added to every timestamp of the interface. */
  tsoffset?: number;
  snaplen?: number;
}

export interface PcapngWriteOptions {
  interfaces?: PcapngInterface[];
  bigEndian?: boolean;
  /** Use Simple Packet Blocks (interface 0, no timestamps) instead of Enhanced ones. */
  simple?: boolean;
  /** Extra blocks (type, body) written after the interfaces; unknown types must be skipped. */
  extraBlocks?: Array<{ type: number; body: Uint8Array }>;
}

/** A pcapng file: one section, the given interfaces, one packet block per record. */
export function writePcapng(records: CaptureFrame[], o: PcapngWriteOptions = {}): Uint8Array {
  const le = !o.bigEndian;
  const ifaces = o.interfaces ?? [{ linkType: 1 }];
  const parts: Uint8Array[] = [];
  const block = (type: number, body: Uint8Array) => {
    const padded = Math.ceil(body.length / 4) * 4;
    const total = 12 + padded;
    const b = new Uint8Array(total);
    const v = new DataView(b.buffer);
    v.setUint32(0, type, le);
    v.setUint32(4, total, le);
    b.set(body, 8);
    v.setUint32(total - 4, total, le);
    parts.push(b);
  };
  const shb = new DataView(new ArrayBuffer(16));
  shb.setUint32(0, 0x1a2b3c4d, le);
  shb.setUint16(4, 1, le);
  shb.setUint16(6, 0, le);
  shb.setInt32(8, -1, le);
  shb.setInt32(12, -1, le);
  block(0x0a0d0d0a, new Uint8Array(shb.buffer));
  for (const i of ifaces) {
    const v = new DataView(new ArrayBuffer(32));
    v.setUint16(0, i.linkType, le);
    v.setUint32(4, i.snaplen ?? 262144, le);
    let o = 8;
    if (i.tsresol !== undefined) {
      v.setUint16(o, 9, le);
      v.setUint16(o + 2, 1, le);
      v.setUint8(o + 4, i.tsresol);
      o += 8;
    }
    if (i.tsoffset !== undefined) {
      v.setUint16(o, 14, le);
      v.setUint16(o + 2, 8, le);
      v.setBigInt64(o + 4, BigInt(i.tsoffset), le);
      o += 12;
    }
    block(1, new Uint8Array(v.buffer, 0, o === 8 ? 8 : o + 4)); // options end with opt_endofopt
  }
  for (const x of o.extraBlocks ?? []) block(x.type, x.body);
  for (const r of records) {
    if (o.simple) {
      const body = new Uint8Array(4 + r.frame.length);
      new DataView(body.buffer).setUint32(0, r.origLen ?? r.frame.length, le);
      body.set(r.frame, 4);
      block(3, body);
      continue;
    }
    const iface = ifaces[r.iface ?? 0]!;
    const res = iface.tsresol ?? 6;
    const units = res & 0x80 ? 2 ** (res & 0x7f) : 10 ** res;
    const ts = (BigInt(Math.round((r.at - (iface.tsoffset ?? 0)) * 1e6)) * BigInt(units)) / 1000000n;
    const body = new Uint8Array(20 + r.frame.length);
    const v = new DataView(body.buffer);
    v.setUint32(0, r.iface ?? 0, le);
    v.setUint32(4, Number(ts >> 32n), le);
    v.setUint32(8, Number(ts & 0xffffffffn), le);
    v.setUint32(12, r.frame.length, le);
    v.setUint32(16, r.origLen ?? r.frame.length, le);
    body.set(r.frame, 20);
    block(6, body);
  }
  return concatList(parts);
}
