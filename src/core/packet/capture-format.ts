/**
 * pcap and pcapng, parsed incrementally from windows of a file's bytes (the file adapter
 * in src/capture/pcap-file.ts does the reading). Pure: no I/O, no throws; corruption is
 * reported as a value with the file offset, after every good record before it.
 *
 * pcap: both byte orders, microsecond and nanosecond magic, Kuznetzov's modified format.
 * pcapng: sections in either byte order, interfaces with if_tsresol and if_tsoffset,
 * Enhanced, Simple and (obsolete) Packet Blocks; every other block type is skipped.
 */

export interface CaptureRecord {
  /** pcap LINKTYPE_* of the frame. */
  linkType: number;
  /** Epoch seconds. */
  at: number;
  /** The captured bytes: a view into the reader's buffer (valid as long as you hold it). */
  frame: Uint8Array;
  /** Length on the wire (frame may be shorter: snaplen). */
  origLen: number;
  /** pcapng interface index (0 for pcap). */
  iface: number;
}

export interface CaptureProblem {
  /** File offset of the record or block at fault. */
  offset: number;
  message: string;
}

export type CaptureFormat = 'pcap' | 'pcapng';

/** Larger records or blocks than this are corruption, not packets. */
const MAX_RECORD = 16 * 1024 * 1024;

interface Iface {
  linkType: number;
  snaplen: number;
  /** Timestamp units per second. */
  units: number;
  /** Seconds added to every timestamp (if_tsoffset). */
  offset: number;
}

/**
 * The records of one parse, as columns: record i is buf[start[i], end[i]) of the buffer
 * parsed. Reused from parse to parse (grown when a chunk holds more records).
 */
export class CaptureColumns {
  count = 0;
  linkType = new Int32Array(1024);
  at = new Float64Array(1024);
  start = new Int32Array(1024);
  end = new Int32Array(1024);
  origLen = new Float64Array(1024);
  iface = new Int32Array(1024);

  add(linkType: number, at: number, start: number, end: number, origLen: number, iface: number): void {
    const i = this.count;
    if (i === this.at.length) this.grow();
    this.linkType[i] = linkType;
    this.at[i] = at;
    this.start[i] = start;
    this.end[i] = end;
    this.origLen[i] = origLen;
    this.iface[i] = iface;
    this.count = i + 1;
  }

  /** The records as objects with views into `buf` (the buffer that was parsed). */
  appendTo(buf: Uint8Array, out: CaptureRecord[]): void {
    for (let i = 0; i < this.count; i++) {
      out.push({
        linkType: this.linkType[i]!,
        at: this.at[i]!,
        frame: buf.subarray(this.start[i]!, this.end[i]!),
        origLen: this.origLen[i]!,
        iface: this.iface[i]!,
      });
    }
  }

  private grow(): void {
    const n = this.at.length * 2;
    const g = <T extends Int32Array | Float64Array>(a: T, b: T): T => {
      b.set(a);
      return b;
    };
    this.linkType = g(this.linkType, new Int32Array(n));
    this.at = g(this.at, new Float64Array(n));
    this.start = g(this.start, new Int32Array(n));
    this.end = g(this.end, new Int32Array(n));
    this.origLen = g(this.origLen, new Float64Array(n));
    this.iface = g(this.iface, new Int32Array(n));
  }
}

export class CaptureParser {
  /** The records of the last parse() or scan(). */
  readonly records = new CaptureColumns();
  format: CaptureFormat | null = null;
  error: CaptureProblem | null = null;
  /** Bytes needed from the unconsumed position before parse() can make progress. */
  need = 24;
  private le = true;
  // pcap
  private linkType = 0;
  private nano = false;
  private recordHeader = 16;
  private snaplen = 0;
  // pcapng
  private ifaces: Iface[] = [];
  private sawSection = false;

  /**
   * Parse what `buf` holds (it starts at file offset `base`); appends records to `out`
   * and returns how many bytes were consumed. `eof`: no more bytes will come, so an
   * incomplete record at the end is corruption. Check `error` after each call.
   */
  parse(buf: Uint8Array, base: number, eof: boolean, out: CaptureRecord[]): number {
    const used = this.scan(buf, base, eof);
    this.records.appendTo(buf, out);
    return used;
  }

  /**
   * As parse(), but the records go to `records` (reset first): columns of numbers, no
   * object or view per record — the replay's way to read a file.
   */
  scan(buf: Uint8Array, base: number, eof: boolean): number {
    const out = this.records;
    out.count = 0;
    if (this.error !== null) return 0;
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    let p = 0;
    if (this.format === null) {
      if (buf.length < 4) {
        if (eof) this.fail(base, buf.length === 0 ? 'empty file' : 'too short to be a capture file');
        this.need = 4;
        return 0;
      }
      const magic = dv.getUint32(0, false);
      if (magic === 0x0a0d0d0a) {
        this.format = 'pcapng';
      } else if (!this.pcapMagic(magic)) {
        if (buf[0] === 0x1f && buf[1] === 0x8b)
          this.fail(base, 'gzip-compressed data where a capture was expected');
        else this.fail(base, `not a pcap or pcapng file (starts with ${hex(buf.subarray(0, 4))})`);
        return 0;
      }
    }
    if (this.format === 'pcap') p = this.parsePcap(buf, dv, base, eof, out);
    else p = this.parsePcapng(buf, dv, base, eof, out);
    return p;
  }

  private pcapMagic(magic: number): boolean {
    const table: Array<[number, boolean, boolean, number]> = [
      [0xa1b2c3d4, false, false, 16],
      [0xd4c3b2a1, true, false, 16],
      [0xa1b23c4d, false, true, 16],
      [0x4d3cb2a1, true, true, 16],
      [0xa1b2cd34, false, false, 24],
      [0x34cdb2a1, true, false, 24],
    ];
    for (const [m, le, nano, rh] of table) {
      if (m === magic) {
        this.format = 'pcap';
        this.le = le;
        this.nano = nano;
        this.recordHeader = rh;
        this.linkType = -1;
        return true;
      }
    }
    return false;
  }

  private fail(offset: number, message: string): void {
    this.error = { offset, message };
  }

  private parsePcap(buf: Uint8Array, dv: DataView, base: number, eof: boolean, out: CaptureColumns): number {
    const le = this.le;
    let p = 0;
    if (this.linkType < 0) {
      if (buf.length < 24) {
        if (eof) this.fail(base, `truncated pcap file header (${buf.length} of 24 bytes)`);
        this.need = 24;
        return 0;
      }
      const major = dv.getUint16(4, le);
      if (major !== 2) {
        this.fail(base + 4, `unsupported pcap version ${major}.${dv.getUint16(6, le)}`);
        return 0;
      }
      this.snaplen = dv.getUint32(16, le);
      // The upper bits of the link type field carry FCS information (pcap spec).
      this.linkType = dv.getUint32(20, le) & 0x03ffffff;
      p = 24;
    }
    const rh = this.recordHeader;
    const units = this.nano ? 1e9 : 1e6;
    const limit = Math.min(MAX_RECORD, Math.max(this.snaplen, 262144));
    while (p + rh <= buf.length) {
      const incl = dv.getUint32(p + 8, le);
      if (incl > limit) {
        this.fail(base + p, `record claims ${incl} bytes (snaplen ${this.snaplen}): corrupt file`);
        return p;
      }
      if (p + rh + incl > buf.length) {
        this.need = rh + incl;
        if (eof) this.truncated(base + p, rh + incl, buf.length - p);
        return p;
      }
      const at = dv.getUint32(p, le) + dv.getUint32(p + 4, le) / units;
      out.add(this.linkType, at, p + rh, p + rh + incl, dv.getUint32(p + 12, le), 0);
      p += rh + incl;
    }
    this.need = rh;
    if (eof && p < buf.length) this.truncated(base + p, rh, buf.length - p);
    return p;
  }

  private truncated(offset: number, wanted: number, got: number): void {
    this.fail(offset, `truncated: the record here needs ${wanted} bytes, the file ends after ${got}`);
  }

  private parsePcapng(
    buf: Uint8Array,
    dv: DataView,
    base: number,
    eof: boolean,
    out: CaptureColumns,
  ): number {
    let p = 0;
    while (this.error === null) {
      if (p + 12 > buf.length) {
        this.need = 12;
        if (eof && p < buf.length) this.truncated(base + p, 12, buf.length - p);
        return p;
      }
      const rawType = dv.getUint32(p, false);
      if (rawType === 0x0a0d0d0a) {
        // Section Header Block: its byte-order magic decides how to read everything else.
        const bom = dv.getUint32(p + 8, false);
        if (bom === 0x1a2b3c4d) this.le = false;
        else if (bom === 0x4d3c2b1a) this.le = true;
        else {
          this.fail(base + p, `bad byte-order magic ${hex(buf.subarray(p + 8, p + 12))} in section header`);
          return p;
        }
      } else if (!this.sawSection) {
        this.fail(base + p, 'pcapng data before any section header');
        return p;
      }
      const le = this.le;
      const type = dv.getUint32(p, le);
      const len = dv.getUint32(p + 4, le);
      if (len < 12 || len % 4 !== 0 || len > MAX_RECORD) {
        this.fail(
          base + p,
          `block of type 0x${type.toString(16)} has an impossible length ${len}: corrupt file`,
        );
        return p;
      }
      if (p + len > buf.length) {
        this.need = len;
        if (eof) this.truncated(base + p, len, buf.length - p);
        return p;
      }
      if (dv.getUint32(p + len - 4, le) !== len) {
        this.fail(
          base + p,
          `block of type 0x${type.toString(16)}: trailing length does not match ${len}: corrupt file`,
        );
        return p;
      }
      const problem = this.block(buf, dv, p, type, len, out);
      if (problem !== null) {
        this.fail(base + p, problem);
        return p;
      }
      p += len;
    }
    return p;
  }

  /** Read one block; returns what is wrong with it, or null. */
  private block(
    buf: Uint8Array,
    dv: DataView,
    p: number,
    type: number,
    len: number,
    out: CaptureColumns,
  ): string | null {
    const le = this.le;
    const body = p + 8;
    const bodyEnd = p + len - 4;
    switch (type) {
      case 0x0a0d0d0a: {
        if (len < 28) return 'section header block too short';
        const major = dv.getUint16(body + 4, le);
        if (major !== 1) return `unsupported pcapng version ${major}`;
        this.sawSection = true;
        this.ifaces = [];
        return null;
      }
      case 1: {
        if (len < 20) return 'interface description block too short';
        const iface: Iface = {
          linkType: dv.getUint16(body, le),
          snaplen: dv.getUint32(body + 4, le),
          units: 1e6,
          offset: 0,
        };
        let o = body + 8;
        while (o + 4 <= bodyEnd) {
          const code = dv.getUint16(o, le);
          const olen = dv.getUint16(o + 2, le);
          if (code === 0 || o + 4 + olen > bodyEnd) break;
          if (code === 9 && olen >= 1) {
            const r = buf[o + 4]!;
            iface.units = r & 0x80 ? 2 ** (r & 0x7f) : 10 ** r;
          } else if (code === 14 && olen >= 8) {
            iface.offset = Number(dv.getBigInt64(o + 4, le));
          }
          o += 4 + ((olen + 3) & ~3);
        }
        this.ifaces.push(iface);
        return null;
      }
      case 6: // Enhanced Packet Block
      case 2: {
        // (obsolete) Packet Block: interface id is 16 bits, then a drops count
        if (len < 32) return 'packet block too short';
        const id = type === 6 ? dv.getUint32(body, le) : dv.getUint16(body, le);
        const iface = this.ifaces[id];
        if (iface === undefined) return `packet block for undeclared interface ${id}`;
        const caplen = dv.getUint32(body + 12, le);
        if (caplen > len - 32) return `packet block claims ${caplen} captured bytes in a ${len}-byte block`;
        const hi = dv.getUint32(body + 4, le);
        const lo = dv.getUint32(body + 8, le);
        out.add(
          iface.linkType,
          // hi·2³²/units + lo/units: exact enough (float seconds carry ~0.2 µs today)
          hi * (4294967296 / iface.units) + lo / iface.units + iface.offset,
          body + 20,
          body + 20 + caplen,
          dv.getUint32(body + 16, le),
          id,
        );
        return null;
      }
      case 3: {
        // Simple Packet Block: interface 0, no timestamp
        if (len < 16) return 'simple packet block too short';
        const iface = this.ifaces[0];
        if (iface === undefined) return 'simple packet block without an interface';
        const origLen = dv.getUint32(body, le);
        let caplen = Math.min(origLen, len - 16);
        if (iface.snaplen > 0) caplen = Math.min(caplen, iface.snaplen);
        out.add(iface.linkType, 0, body + 4, body + 4 + caplen, origLen, 0);
        return null;
      }
      default:
        return null; // name resolution, statistics, custom blocks, ...: not needed
    }
  }
}

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
}
