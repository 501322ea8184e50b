/**
 * Capture files (pcap, pcapng; gzip-compressed too) streamed from disk: a 1 GB file is
 * read in chunks, never loaded whole. Frames are views into the chunk they came from
 * (no copy per packet); a chunk is never reused, so a frame stays valid while held.
 *
 * A file that is neither format, or that turns corrupt part-way, raises
 * SP_ERR_PCAP_FORMAT naming the file and the byte offset, after every good record
 * before the fault has been yielded.
 */
import { closeSync, createReadStream, openSync, readSync } from 'node:fs';
import { type FileHandle, open as fsOpen } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { SipprotError } from '../core/errors.js';
import { CaptureParser, type CaptureRecord } from '../core/packet/capture-format.js';

export type { CaptureRecord } from '../core/packet/capture-format.js';

export interface ReadCaptureOptions {
  /** Bytes read at a time (default 1 MiB). */
  chunkSize?: number;
}

/** Every record of a capture file, one at a time. */
export async function* readCapture(
  path: string,
  opts: ReadCaptureOptions = {},
): AsyncGenerator<CaptureRecord> {
  for await (const batch of readCaptureBatches(path, opts)) yield* batch;
}

/**
 * The records of a capture file in batches (one per chunk read): the fast way to replay,
 * without an await per packet.
 */
export async function* readCaptureBatches(
  path: string,
  opts: ReadCaptureOptions = {},
): AsyncGenerator<CaptureRecord[]> {
  const chunkSize = opts.chunkSize ?? 1024 * 1024;
  const parser = new CaptureParser();
  const fail = (offset: number, message: string): never => {
    throw new SipprotError('SP_ERR_PCAP_FORMAT', `${path}: ${message} (at byte ${offset})`, {
      details: { path, offset },
    });
  };
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let base = 0;
  try {
    for await (const buf of open(path, chunkSize, await isGzip(path))) {
      // A plain view, not a Buffer: frames are core data (no Node types past this point).
      const chunk = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
      pending.push(chunk);
      pendingBytes += chunk.length;
      if (pendingBytes < parser.need) continue;
      const { batch, rest } = step(parser, pending, pendingBytes, base, false);
      base += pendingBytes - rest.length;
      pending = rest.length > 0 ? [rest] : [];
      pendingBytes = rest.length;
      if (batch.length > 0) yield batch;
      if (parser.error !== null) fail(parser.error.offset, parser.error.message);
    }
  } catch (e) {
    throw wrapIoError(path, e);
  }
  const { batch } = step(parser, pending, pendingBytes, base, true);
  if (batch.length > 0) yield batch;
  if (parser.error !== null) fail(parser.error.offset, parser.error.message);
}

/**
 * The records of an uncompressed capture, read synchronously into one reused buffer:
 * the fast way for replay (no stream, no await, no copy of a chunk to join a record cut
 * at the chunk's end: only that record's bytes move to the front). Frames are views into
 * the buffer and valid only during `onBatch`. Returns false, reading nothing, for a
 * gzip-compressed file (use readCaptureBatches).
 */
export function readCaptureFileSync(
  path: string,
  onBatch: (batch: CaptureRecord[]) => void,
  opts: ReadCaptureOptions = {},
): boolean {
  const size = Math.max(256, opts.chunkSize ?? 4 * 1024 * 1024);
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw wrapIoError(path, e);
  }
  try {
    let buf = new Uint8Array(size);
    let filled = readInto(path, fd, buf, 0);
    if (filled >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) return false;
    const parser = new CaptureParser();
    let base = 0;
    let eof = filled < buf.length;
    for (;;) {
      const batch: CaptureRecord[] = [];
      const used = parser.parse(buf.subarray(0, filled), base, eof, batch);
      if (batch.length > 0) onBatch(batch);
      if (parser.error !== null) failAt(path, parser.error.offset, parser.error.message);
      if (eof) return true;
      base += used;
      const rest = filled - used;
      // A record larger than the buffer: a bigger buffer (records are bounded by the parser).
      if (rest + parser.need > buf.length) {
        const bigger = new Uint8Array(Math.max(buf.length * 2, rest + parser.need));
        bigger.set(buf.subarray(used, filled));
        buf = bigger;
      } else {
        buf.copyWithin(0, used, filled);
      }
      const n = readInto(path, fd, buf, rest);
      filled = rest + n;
      eof = filled < buf.length;
    }
  } finally {
    closeSync(fd);
  }
}

/** Fills buf from `from` on as far as the file goes; returns the bytes read. */
function readInto(path: string, fd: number, buf: Uint8Array, from: number): number {
  let at = from;
  try {
    while (at < buf.length) {
      const n = readSync(fd, buf, at, buf.length - at, null);
      if (n === 0) break;
      at += n;
    }
  } catch (e) {
    throw wrapIoError(path, e);
  }
  return at - from;
}

function failAt(path: string, offset: number, message: string): never {
  throw new SipprotError('SP_ERR_PCAP_FORMAT', `${path}: ${message} (at byte ${offset})`, {
    details: { path, offset },
  });
}

/** `tcpdump -w - | gzip` output is read as it is. */
async function isGzip(path: string): Promise<boolean> {
  let fh: FileHandle | undefined;
  try {
    fh = await fsOpen(path, 'r');
    const head = new Uint8Array(2);
    const { bytesRead } = await fh.read(head, 0, 2, 0);
    return bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } catch (e) {
    throw wrapIoError(path, e);
  } finally {
    await fh?.close();
  }
}

function open(path: string, chunkSize: number, gunzip: boolean): AsyncIterable<Uint8Array> {
  const file = createReadStream(path, { highWaterMark: chunkSize });
  if (!gunzip) return file;
  const z = createGunzip({ chunkSize });
  file.on('error', (e) => z.destroy(e));
  return file.pipe(z);
}

function step(
  parser: CaptureParser,
  pending: Uint8Array[],
  pendingBytes: number,
  base: number,
  eof: boolean,
): { batch: CaptureRecord[]; rest: Uint8Array } {
  const buf = concatChunks(pending, pendingBytes);
  const batch: CaptureRecord[] = [];
  const used = parser.parse(buf, base, eof, batch);
  return { batch, rest: buf.subarray(used) };
}

/** One buffer of the pending chunks; a lone chunk is used as it is (no copy). */
function concatChunks(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

function wrapIoError(path: string, e: unknown): Error {
  if (e instanceof SipprotError) return e;
  const err = e as NodeJS.ErrnoException;
  if (
    err.code === 'Z_DATA_ERROR' ||
    err.code === 'Z_BUF_ERROR' ||
    err.code === 'ERR_STREAM_PREMATURE_CLOSE'
  ) {
    return new SipprotError('SP_ERR_PCAP_FORMAT', `${path}: corrupt gzip data: ${err.message}`, {
      cause: e,
      details: { path },
    });
  }
  return new SipprotError('SP_ERR_CAPTURE', `${path}: cannot read the capture file: ${err.message}`, {
    cause: e,
    details: { path, code: err.code },
  });
}
