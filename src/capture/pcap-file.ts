/**
 * Capture files (pcap, pcapng; gzip-compressed too) streamed from disk: a 1 GB file is
 * read in chunks, never loaded whole. Frames are views into the chunk they came from
 * (no copy per packet); a chunk is never reused, so a frame stays valid while held.
 *
 * A file that is neither format, or that turns corrupt part-way, raises
 * SP_ERR_PCAP_FORMAT naming the file and the byte offset, after every good record
 * before the fault has been yielded.
 */
import { createReadStream } from 'node:fs';
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
