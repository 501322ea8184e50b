/**
 * The table's file format. Parsing 23 MB of CSV text takes seconds; this is the table's
 * typed arrays laid out back to back (little-endian, 8-byte aligned) so loading is a
 * read plus zero-copy views. The total length is in the header, so a truncated file is
 * refused rather than half-loaded; the GeoTable constructor then checks the structure.
 *
 *   0  "SPGEOBIN"   8  u32 version   12 u32 metaLen   16 u32 countries
 *   20 u32 v4 segs  24 u32 v6 segs   28 u32 total file length
 *   32 meta JSON (UTF-8) | country codes (2 ASCII bytes each) | v4 starts (u32)
 *      | v6 starts (u32 planes: all first words, then all second words, ...)
 *      | v4 country (u16) | v6 country (u16)
 *   each section padded to a multiple of 8 bytes.
 */
import { SipprotError } from '../errors.js';
import { GeoTable } from './table.js';

const GEO_BIN_MAGIC = 'SPGEOBIN';
const GEO_BIN_VERSION = 2;
const HEADER = 32;

/** What a table file says about its data; the adapter adds when it was loaded. */
export interface GeoDataMeta {
  /** Where the data came from, e.g. "IPFire Location Database (…) via Debian tor-geoipdb 0.4.9.11-0+deb12u1" or a URL. */
  source: string;
  /** Date of the data (YYYY-MM-DD), as far as the source tells. */
  date: string;
  v4Ranges: number;
  v6Ranges: number;
}

const pad8 = (n: number) => (n + 7) & ~7;

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function bad(why: string): never {
  throw new SipprotError('SP_ERR_GEOIP', `geo-IP database file is damaged: ${why}`);
}

function bytesOf(a: Uint32Array | Uint16Array): Uint8Array {
  if (!littleEndian) {
    // Rare, but the file format is little-endian everywhere.
    const out = new Uint8Array(a.byteLength);
    const dv = new DataView(out.buffer);
    const w = a.BYTES_PER_ELEMENT;
    for (let i = 0; i < a.length; i++) {
      if (w === 4) dv.setUint32(i * 4, a[i] as number, true);
      else dv.setUint16(i * 2, a[i] as number, true);
    }
    return out;
  }
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

export function encodeGeoBin(table: GeoTable, meta: GeoDataMeta): Uint8Array {
  const metaBytes = new TextEncoder().encode(JSON.stringify(meta));
  const nc = table.countries.length;
  const n4 = table.v4Starts.length;
  const n6 = table.v6Country.length;
  const sections: Uint8Array[] = [
    metaBytes,
    new TextEncoder().encode(table.countries.join('')),
    bytesOf(table.v4Starts),
    bytesOf(table.v6Words),
    bytesOf(table.v4Country),
    bytesOf(table.v6Country),
  ];
  const total = sections.reduce((n, s) => n + pad8(s.length), HEADER);
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  out.set(new TextEncoder().encode(GEO_BIN_MAGIC), 0);
  dv.setUint32(8, GEO_BIN_VERSION, true);
  dv.setUint32(12, metaBytes.length, true);
  dv.setUint32(16, nc, true);
  dv.setUint32(20, n4, true);
  dv.setUint32(24, n6, true);
  dv.setUint32(28, total, true);
  let off = HEADER;
  for (const s of sections) {
    out.set(s, off);
    off += pad8(s.length);
  }
  return out;
}

/** Reads `count` little-endian words at `off`: a view when aligned on a little-endian host, else a copy. */
function u32At(bytes: Uint8Array, off: number, count: number): Uint32Array {
  const at = bytes.byteOffset + off;
  if (littleEndian && at % 4 === 0) return new Uint32Array(bytes.buffer, at, count);
  const dv = new DataView(bytes.buffer, at, count * 4);
  const out = new Uint32Array(count);
  for (let i = 0; i < count; i++) out[i] = dv.getUint32(i * 4, true);
  return out;
}

function u16At(bytes: Uint8Array, off: number, count: number): Uint16Array {
  const at = bytes.byteOffset + off;
  if (littleEndian && at % 2 === 0) return new Uint16Array(bytes.buffer, at, count);
  const dv = new DataView(bytes.buffer, at, count * 2);
  const out = new Uint16Array(count);
  for (let i = 0; i < count; i++) out[i] = dv.getUint16(i * 2, true);
  return out;
}

export function isGeoBin(bytes: Uint8Array): boolean {
  if (bytes.length < 8) return false;
  for (let i = 0; i < 8; i++) if (bytes[i] !== GEO_BIN_MAGIC.charCodeAt(i)) return false;
  return true;
}

export function decodeGeoBin(bytes: Uint8Array): { table: GeoTable; meta: GeoDataMeta } {
  if (bytes.length < HEADER) bad(`only ${bytes.length} bytes`);
  if (!isGeoBin(bytes)) bad('not a sipprot geo-IP table (wrong magic)');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = dv.getUint32(8, true);
  if (version !== GEO_BIN_VERSION) bad(`format version ${version}, expected ${GEO_BIN_VERSION}`);
  const metaLen = dv.getUint32(12, true);
  const nc = dv.getUint32(16, true);
  const n4 = dv.getUint32(20, true);
  const n6 = dv.getUint32(24, true);
  const total = dv.getUint32(28, true);
  if (total !== bytes.length) bad(`length ${bytes.length} bytes, header says ${total} (truncated?)`);
  const expected =
    HEADER + pad8(metaLen) + pad8(nc * 2) + pad8(n4 * 4) + pad8(n6 * 16) + pad8(n4 * 2) + pad8(n6 * 2);
  if (expected !== total) bad('section sizes do not add up');

  let off = HEADER;
  let meta: GeoDataMeta;
  try {
    meta = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(off, off + metaLen)));
  } catch {
    bad('metadata is not JSON');
  }
  if (
    typeof meta !== 'object' ||
    meta === null ||
    typeof meta.source !== 'string' ||
    typeof meta.date !== 'string'
  ) {
    bad('metadata lacks source/date');
  }
  off += pad8(metaLen);
  const codes = new TextDecoder('ascii').decode(bytes.subarray(off, off + nc * 2));
  const countries: string[] = [];
  for (let i = 0; i < nc; i++) countries.push(codes.slice(i * 2, i * 2 + 2));
  off += pad8(nc * 2);
  const v4Starts = u32At(bytes, off, n4);
  off += pad8(n4 * 4);
  const v6Words = u32At(bytes, off, n6 * 4);
  off += pad8(n6 * 16);
  const v4Country = u16At(bytes, off, n4);
  off += pad8(n4 * 2);
  const v6Country = u16At(bytes, off, n6);
  const table = new GeoTable({ countries, v4Starts, v4Country, v6Words, v6Country });
  return { table, meta: { ...meta, v4Ranges: table.v4Ranges, v6Ranges: table.v6Ranges } };
}
