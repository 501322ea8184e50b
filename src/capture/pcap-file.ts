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
 * the fast way for replay (no stream, no await per chunk, no copy of a chunk to join a
 * record cut at the chunk's end: only that record's bytes move to the front). `next()`
 * gives the records of the next chunk; their frames are views into the buffer, valid
 * until the following `next()`. `open` returns null, reading nothing, for a
 * gzip-compressed file (use readCaptureBatches).
 */
export class CaptureFileReader {
  private buf: Uint8Array;
  private filled: number;
  private eof: boolean;
  /** File offset of buf[0]; bytes of buf the last parse consumed. */
  private base = 0;
  private used = 0;
  private started = false;
  private done = false;
  private closed = false;
  /** A fault found after good records: thrown at the next call, after those records. */
  private fault: { offset: number; message: string } | null = null;
  private readonly parser = new CaptureParser();

  private constructor(
    private readonly path: string,
    private readonly fd: number,
    size: number,
  ) {
    this.buf = new Uint8Array(size);
    this.filled = readInto(path, fd, this.buf, 0);
    this.eof = this.filled < this.buf.length;
  }

  static open(path: string, opts: ReadCaptureOptions = {}): CaptureFileReader | null {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (e) {
      throw wrapIoError(path, e);
    }
    let r: CaptureFileReader;
    try {
      r = new CaptureFileReader(path, fd, Math.max(256, opts.chunkSize ?? 4 * 1024 * 1024));
    } catch (e) {
      closeSync(fd);
      throw e;
    }
    if (r.filled >= 2 && r.buf[0] === 0x1f && r.buf[1] === 0x8b) {
      r.close();
      return null;
    }
    return r;
  }

  /** The records of the next chunk (possibly none), or null at the end; throws on corruption. */
  next(): CaptureRecord[] | null {
    if (this.fault !== null) {
      const f = this.fault;
      this.fault = null;
      failAt(this.path, f.offset, f.message);
    }
    if (this.done) return null;
    if (this.started) this.refill();
    this.started = true;
    const batch: CaptureRecord[] = [];
    this.used = this.parser.parse(this.buf.subarray(0, this.filled), this.base, this.eof, batch);
    const err = this.parser.error;
    if (err !== null || this.eof) {
      this.done = true;
      this.close();
    }
    if (err !== null) {
      if (batch.length === 0) failAt(this.path, err.offset, err.message);
      this.fault = err;
    }
    return batch;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }

  /** Moves the unparsed tail to the front and reads on behind it. */
  private refill(): void {
    this.base += this.used;
    const rest = this.filled - this.used;
    // A record larger than the buffer: a bigger buffer (records are bounded by the parser).
    if (rest + this.parser.need > this.buf.length) {
      const bigger = new Uint8Array(Math.max(this.buf.length * 2, rest + this.parser.need));
      bigger.set(this.buf.subarray(this.used, this.filled));
      this.buf = bigger;
    } else {
      this.buf.copyWithin(0, this.used, this.filled);
    }
    this.filled = rest + readInto(this.path, this.fd, this.buf, rest);
    this.eof = this.filled < this.buf.length;
    this.used = 0;
  }
}

/** Every record of an uncompressed capture through CaptureFileReader; false for gzip. */
export function readCaptureFileSync(
  path: string,
  onBatch: (batch: CaptureRecord[]) => void,
  opts: ReadCaptureOptions = {},
): boolean {
  const r = CaptureFileReader.open(path, opts);
  if (r === null) return false;
  try {
    for (let b = r.next(); b !== null; b = r.next()) onBatch(b);
  } finally {
    r.close();
  }
  return true;
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
