/**
 * Geo-IP table files on disk: the shipped data/geoip/geoip.bin.gz and the current table
 * under STATE_DIR. Both are the core's binary format, gzip-compressed (gzip's CRC and
 * length catch a damaged file before the structure check does).
 */
import { constants as fsConstants } from 'node:fs';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gunzip, gunzipSync, gzip, constants as zc } from 'node:zlib';
import { SipprotError } from '../core/errors.js';
import { decodeGeoBin, encodeGeoBin, type GeoDataMeta } from '../core/geoip/bin.js';
import type { GeoTable } from '../core/geoip/table.js';

const gunzipAsync = promisify(gunzip);
const gzipAsync = promisify(gzip);

/** data/geoip/geoip.bin.gz: two levels up from src/geoip/ and from dist/geoip/ alike. */
export const SHIPPED_TABLE = fileURLToPath(new URL('../../data/geoip/geoip.bin.gz', import.meta.url));

/** Decompressed tables are ~7 MB; far more means a wrong or hostile file. */
const MAX_TABLE_BYTES = 64 * 1024 * 1024;

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Gunzip with an output cap; a truncated or corrupt stream becomes SP_ERR_GEOIP naming `what`. */
export async function gunzipCapped(bytes: Uint8Array, maxBytes: number, what: string): Promise<Uint8Array> {
  try {
    return await gunzipAsync(bytes, { maxOutputLength: maxBytes });
  } catch (e) {
    const why =
      (e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE'
        ? `larger than ${maxBytes} bytes uncompressed`
        : (e as Error).message;
    throw new SipprotError('SP_ERR_GEOIP', `${what} is not valid gzip (${why}); truncated download?`);
  }
}

export interface TableFile {
  table: GeoTable;
  meta: GeoDataMeta;
}

/** Reads a .bin or .bin.gz table; SP_ERR_GEOIP (naming the file) if missing or damaged. */
export async function readTableFile(path: string): Promise<TableFile> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new SipprotError('SP_ERR_GEOIP', `cannot read geo-IP table ${path}: ${(e as Error).message}`, {
      cause: e,
    });
  }
  if (isGzip(bytes)) bytes = await gunzipCapped(bytes, MAX_TABLE_BYTES, path);
  try {
    return decodeGeoBin(bytes);
  } catch (e) {
    throw new SipprotError('SP_ERR_GEOIP', `${path}: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * The metadata of a table file without decoding it: the JSON sits in the first bytes,
 * so inflating a small prefix (sync flush, no end-of-stream needed) is enough.
 */
export async function peekTableMeta(path: string): Promise<GeoDataMeta | null> {
  try {
    const fh = await open(path, 'r');
    try {
      const buf = Buffer.alloc(4096);
      const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
      let head: Uint8Array = buf.subarray(0, bytesRead);
      if (isGzip(head)) head = gunzipSync(head, { finishFlush: zc.Z_SYNC_FLUSH });
      const dv = new DataView(head.buffer, head.byteOffset, head.byteLength);
      if (head.length < 32 || Buffer.from(head.subarray(0, 8)).toString('latin1') !== 'SPGEOBIN') return null;
      const metaLen = dv.getUint32(12, true);
      if (32 + metaLen > head.length) return null;
      return JSON.parse(Buffer.from(head.subarray(32, 32 + metaLen)).toString('utf8')) as GeoDataMeta;
    } finally {
      await fh.close();
    }
  } catch {
    return null;
  }
}

/**
 * Writes the table so that readers see the old file or the new one, never a mix: a
 * temporary file in the same directory, fsync, rename over, fsync the directory.
 */
export async function writeTableFile(path: string, table: GeoTable, meta: GeoDataMeta): Promise<number> {
  const data = await gzipAsync(encodeGeoBin(table, meta), { level: 9 });
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  try {
    const fh = await open(tmp, fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_WRONLY, 0o644);
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    throw new SipprotError('SP_ERR_GEOIP', `cannot write geo-IP table ${path}: ${(e as Error).message}`, {
      cause: e,
    });
  }
  try {
    const dir = await open(dirname(path), 'r');
    await dir.sync().finally(() => dir.close());
  } catch {
    // Some filesystems refuse fsync on a directory; the rename itself has happened.
  }
  return data.length;
}
