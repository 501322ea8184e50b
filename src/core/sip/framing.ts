/**
 * SIP message boundaries in a byte stream (RFC 3261 §18.3: the header block ends at the
 * first empty line, the body is Content-Length bytes). One SipFramer per TCP direction.
 *
 * - Only the header block is handed on; body bytes are counted down and dropped, never
 *   buffered, so a large body costs no memory.
 * - Zero copy in the common case: when nothing is pending, complete messages are framed
 *   straight out of the caller's segment and only an incomplete tail is copied.
 * - Bounded: at most `maxBuffer` bytes pending (an unfinished header block). On overflow
 *   or after lost bytes the framer resynchronises: lines are dropped until one looks like
 *   a SIP start line. This also covers a capture that starts in the middle of a stream.
 * - Header scanning resumes where it stopped, so a block trickling in one byte per
 *   segment costs linear, not quadratic, work.
 * - Leading CRLFs (RFC 5626 keep-alive pings and pongs) are skipped.
 */

/** Receives each complete header block (`buf[start, end)`, blank line included). */
export type FrameSink = (buf: Uint8Array, start: number, end: number) => void;

export interface FramerStats {
  /** Header blocks handed to the sink. */
  framed: number;
  /** Lines dropped while looking for a start line (not SIP, or mid-message after a loss). */
  resyncs: number;
  /** Pending bytes dropped because an unfinished header block outgrew the buffer. */
  overflows: number;
}

export function newFramerStats(): FramerStats {
  return { framed: 0, resyncs: 0, overflows: 0 };
}

/** A start line longer than this is not SIP (or not worth waiting for). */
const MAX_START_LINE = 8192;
/** A body longer than this is taken as a sign of garbage framing: resynchronise instead. */
const MAX_BODY = 16 * 1024 * 1024;
const INITIAL_BUFFER = 2048;

const NEED_MORE = -1;
const INVALID = -2;

export class SipFramer {
  private buf: Uint8Array | null = null;
  private len = 0;
  /** Body bytes still to drop. */
  private skip = 0;
  /** Offset, relative to the pending message start, of the first line not yet scanned. */
  private lineAt = 0;
  private firstLineOk = false;
  private contentLength = -1;
  /** Where scanning continues after an INVALID start line. */
  private resumeAt = 0;

  constructor(
    private readonly sink: FrameSink,
    private readonly stats: FramerStats = newFramerStats(),
    private readonly maxBuffer = 65536,
  ) {}

  /** Bytes pending (an incomplete header block). */
  get pending(): number {
    return this.len;
  }

  /** Feed the next in-order bytes `data[off, end)`. */
  push(data: Uint8Array, off: number, end: number): void {
    while (off < end) {
      if (this.len === 0) {
        const rest = this.drain(data, off, end);
        if (rest < end) this.keep(data, rest, end);
        return;
      }
      const room = this.maxBuffer - this.len;
      if (room <= 0) {
        // The pending header block cannot complete inside the buffer: give it up.
        this.stats.overflows++;
        this.lost();
        continue;
      }
      const n = Math.min(room, end - off);
      this.reserve(this.len + n);
      const buf = this.buf!;
      buf.set(data.subarray(off, off + n), this.len);
      this.len += n;
      off += n;
      const used = this.drain(buf, 0, this.len);
      if (used > 0) {
        buf.copyWithin(0, used, this.len);
        this.len -= used;
      }
      if (this.len === 0 && buf.length > 4 * INITIAL_BUFFER) this.buf = null;
    }
  }

  /** Bytes were lost before the next push: drop what is pending and resynchronise. */
  lost(): void {
    this.len = 0;
    this.skip = 0;
    this.resetScan();
    if (this.buf !== null && this.buf.length > 4 * INITIAL_BUFFER) this.buf = null;
  }

  private resetScan(): void {
    this.lineAt = 0;
    this.firstLineOk = false;
    this.contentLength = -1;
  }

  private keep(data: Uint8Array, off: number, end: number): void {
    const n = end - off;
    if (n > this.maxBuffer) {
      this.stats.overflows++;
      this.lost();
      return;
    }
    this.reserve(n);
    this.buf!.set(data.subarray(off, end), 0);
    this.len = n;
  }

  private reserve(n: number): void {
    if (this.buf !== null && this.buf.length >= n) return;
    let size = this.buf === null ? INITIAL_BUFFER : this.buf.length;
    while (size < n) size *= 2;
    if (size > this.maxBuffer) size = this.maxBuffer;
    const next = new Uint8Array(size);
    if (this.buf !== null && this.len > 0) next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  /** Frame what `arr[from, to)` holds; returns the offset of the unconsumed rest. */
  private drain(arr: Uint8Array, from: number, to: number): number {
    while (from < to) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, to - from);
        from += n;
        this.skip -= n;
        continue;
      }
      if (this.lineAt === 0) {
        while (from < to && (arr[from] === 13 || arr[from] === 10)) from++;
        if (from === to) break;
      }
      const r = this.scan(arr, from, to);
      if (r === NEED_MORE) break;
      if (r === INVALID) {
        this.stats.resyncs++;
        from = this.resumeAt;
        this.resetScan();
        continue;
      }
      const body = Math.max(this.contentLength, 0);
      this.resetScan();
      this.stats.framed++;
      this.sink(arr, from, r);
      from = r;
      const n = Math.min(body, to - from);
      from += n;
      this.skip = body - n;
    }
    return from;
  }

  /**
   * Scan the message starting at `from`: the end of its header block, NEED_MORE, or
   * INVALID (with `resumeAt` set past the offending line).
   */
  private scan(arr: Uint8Array, from: number, to: number): number {
    let p = from + this.lineAt;
    if (!this.firstLineOk) {
      const lf = findLf(arr, p, to);
      if (lf < 0) {
        // Reject early what cannot become a start line, rather than buffer it.
        if (to - from > MAX_START_LINE || !plausiblePrefix(arr, from, to)) {
          this.resumeAt = to;
          return INVALID;
        }
        return NEED_MORE;
      }
      if (!isStartLine(arr, from, lf)) {
        this.resumeAt = lf + 1;
        return INVALID;
      }
      this.firstLineOk = true;
      p = lf + 1;
      this.lineAt = p - from;
    }
    for (;;) {
      const lf = findLf(arr, p, to);
      if (lf < 0) {
        this.lineAt = p - from;
        return NEED_MORE;
      }
      if (lf === p || (lf === p + 1 && arr[p] === 13)) return lf + 1;
      if (this.contentLength < 0) {
        const cl = contentLengthAt(arr, p, lf);
        if (cl === -2) {
          this.resumeAt = lf + 1;
          return INVALID;
        }
        if (cl >= 0) this.contentLength = cl;
      }
      p = lf + 1;
    }
  }
}

function findLf(arr: Uint8Array, p: number, to: number): number {
  if (p >= to) return -1;
  const lf = arr.indexOf(10, p);
  return lf >= 0 && lf < to ? lf : -1;
}

const TOKEN = new Uint8Array(256);
for (let i = 48; i <= 57; i++) TOKEN[i] = 1;
for (let i = 65; i <= 90; i++) TOKEN[i] = 1;
for (let i = 97; i <= 122; i++) TOKEN[i] = 1;
for (const ch of "-.!%*_+`'~") TOKEN[ch.charCodeAt(0)] = 1;

/** The start of a line that could still become a SIP start line (printable ASCII). */
function plausiblePrefix(arr: Uint8Array, from: number, to: number): boolean {
  if (TOKEN[arr[from]!] !== 1) return false;
  const end = Math.min(to, from + 64);
  for (let i = from; i < end; i++) {
    const b = arr[i]!;
    if ((b < 32 && b !== 13 && b !== 9) || b > 126) return false;
  }
  return true;
}

/** "SIP/2.0" (case-insensitive name) at p. */
function sipVersionAt(a: Uint8Array, p: number): boolean {
  return (
    (a[p]! | 32) === 115 &&
    (a[p + 1]! | 32) === 105 &&
    (a[p + 2]! | 32) === 112 &&
    a[p + 3] === 47 &&
    a[p + 4] === 50 &&
    a[p + 5] === 46 &&
    a[p + 6] === 48
  );
}

/** `SIP/2.0 ddd ...` or `METHOD uri SIP/2.0` in a[s, lf). */
export function isStartLine(a: Uint8Array, s: number, lf: number): boolean {
  let e = lf;
  while (e > s && (a[e - 1] === 13 || a[e - 1] === 32 || a[e - 1] === 9)) e--;
  if (e - s >= 11 && sipVersionAt(a, s) && a[s + 7] === 32) {
    let q = s + 8;
    while (q < e && a[q] === 32) q++;
    if (q + 3 > e) return false;
    for (let i = 0; i < 3; i++) {
      const d = a[q + i]! - 48;
      if (d < 0 || d > 9 || (i === 0 && (d < 1 || d > 6))) return false;
    }
    return q + 3 === e || a[q + 3] === 32 || a[q + 3] === 9;
  }
  let q = s;
  while (q < e && TOKEN[a[q]!] === 1) q++;
  if (q === s || q - s > 32 || a[q] !== 32) return false;
  while (q < e && a[q] === 32) q++;
  const u = q;
  let colon = false;
  while (q < e && a[q]! > 32 && a[q]! < 127) {
    if (a[q] === 58) colon = true;
    q++;
  }
  if (q === u || !colon || a[q] !== 32) return false;
  while (q < e && a[q] === 32) q++;
  return e - q === 7 && sipVersionAt(a, q);
}

const CONTENT_LENGTH = 'content-length';

/**
 * Content-Length (or compact `l`) on the header line a[p, lf): its value, -1 when the
 * line is another header, -2 when the value is not a number (framing is lost).
 */
function contentLengthAt(a: Uint8Array, p: number, lf: number): number {
  const c = a[p]! | 32;
  let q: number;
  if (c === 108) {
    q = p + 1;
  } else if (c === 99 && lf - p > 14) {
    for (let i = 1; i < 14; i++) {
      if ((a[p + i]! | 32) !== CONTENT_LENGTH.charCodeAt(i)) return -1;
    }
    q = p + 14;
  } else {
    return -1;
  }
  while (q < lf && (a[q] === 32 || a[q] === 9)) q++;
  if (a[q] !== 58) return -1;
  q++;
  while (q < lf && (a[q] === 32 || a[q] === 9)) q++;
  let n = 0;
  const d0 = q;
  while (q < lf) {
    const d = a[q]! - 48;
    if (d < 0 || d > 9) break;
    n = n * 10 + d;
    if (n > MAX_BODY) return -2;
    q++;
  }
  if (q === d0) return -2;
  while (q < lf && (a[q] === 32 || a[q] === 9 || a[q] === 13)) q++;
  return q === lf ? n : -2;
}
