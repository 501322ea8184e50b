/**
 * The request table's storage (match.ts): its columns in chunks of CHUNK slots and the
 * ring of slots in arrival order over them (oldest first, for expiry and the bound).
 *
 * It never grows in one piece (issue 13, target 4: event-loop lag ≤ 5 ms in a flood).
 * Before, the columns were one array each, doubled and copied when full: 31–41 ms of one
 * call at 65k requests in flight, 74–88 ms at 131k (bench/RESULTS.md). Now at a chunk's end
 * the ring goes on into a new chunk (or one the ring's head has left), and nothing moves: a
 * slot's number (chunk << CHUNK_SHIFT | offset) is its own until it is dropped.
 *
 * A table bounded at CHUNK or fewer requests is one chunk of its bound, a plain ring that
 * wraps. A larger one never wraps inside a chunk: at a chunk's end the ring takes a free
 * chunk, so it holds at most bound/CHUNK + 2 chunks.
 */

/**
 * Slots per chunk: 1,024 (~80 KB of columns). A new chunk is the one allocation a call may
 * make: ~0.1–0.3 ms of CPU at 1,024 slots here, 4× that at 4,096 (the five string columns,
 * young arrays the next scavenges copy, cost most of it).
 */
export const CHUNK_SHIFT = 10;
export const CHUNK = 1 << CHUNK_SHIFT;
export const CHUNK_MASK = CHUNK - 1;

/** Transport index (low 3 bits) | CREDS | FOLLOW_UP | ALERTED (flags column). */
export const CREDS = 8;
export const FOLLOW_UP = 16;
export const ALERTED = 32;

/** One chunk: every column of the requests in `size` slots (the numbers in one buffer). */
export class RequestCols {
  readonly at: Float64Array;
  /** CSeq number, or -1. */
  readonly cseq: Float64Array;
  /** The key's first hash (the index's), and the second that confirms it. */
  readonly key: Int32Array;
  readonly verify: Int32Array;
  /** The next older slot whose key has the same first hash, or -1. */
  readonly next: Int32Array;
  readonly branch: Int32Array;
  readonly call: Int32Array;
  readonly port: Uint16Array;
  readonly answered: Uint16Array;
  readonly flags: Uint8Array;
  readonly method: string[];
  readonly authUser: (string | null)[];
  readonly toUser: (string | null)[];
  readonly uriUser: (string | null)[];
  readonly userAgent: (string | null)[];

  constructor(readonly size: number) {
    // 41 bytes a slot, widest first so every view is aligned: one allocation, not ten.
    const b = new ArrayBuffer(41 * size);
    this.at = new Float64Array(b, 0, size);
    this.cseq = new Float64Array(b, 8 * size, size);
    this.key = new Int32Array(b, 16 * size, size);
    this.verify = new Int32Array(b, 20 * size, size);
    this.next = new Int32Array(b, 24 * size, size);
    this.branch = new Int32Array(b, 28 * size, size);
    this.call = new Int32Array(b, 32 * size, size);
    this.port = new Uint16Array(b, 36 * size, size);
    this.answered = new Uint16Array(b, 38 * size, size);
    this.flags = new Uint8Array(b, 40 * size, size);
    this.method = new Array<string>(size).fill('');
    this.authUser = new Array<string | null>(size).fill(null);
    this.toUser = new Array<string | null>(size).fill(null);
    this.uriUser = new Array<string | null>(size).fill(null);
    this.userAgent = new Array<string | null>(size).fill(null);
  }
}

/**
 * Every slot number of a table bounded at `maxEntries` is below this: one wrapping chunk
 * of the bound, or bound/CHUNK + 2 chunks (the most the ring spans: a chunk is made only
 * when none is free, so only when all are in use).
 */
export function slotLimit(maxEntries: number): number {
  return maxEntries <= CHUNK ? maxEntries : (Math.floor(maxEntries / CHUNK) + 2) * CHUNK;
}

/** The slots in arrival order: where the next request goes, which one is the oldest. */
export class RequestSlots {
  /** The chunks by number (the index reads keys through the same array). */
  readonly chunks: RequestCols[] = [];
  /** Slots in use. */
  len = 0;
  /** One chunk holds the whole bound: the ring wraps inside it. */
  private readonly wraps: boolean;
  /** Chunks the bound can need (slotLimit). */
  private readonly maxChunks: number;
  /** Chunks the ring's head has left, for its tail to take. */
  private readonly free: number[] = [];
  /** The chunk after each one in arrival order (set when the tail moves on). */
  private readonly after: number[] = [];
  private headChunk = 0;
  private headOff = 0;
  private tailChunk = 0;
  private tailOff = 0;

  constructor(maxEntries: number) {
    this.wraps = maxEntries <= CHUNK;
    this.maxChunks = Math.floor(maxEntries / CHUNK) + 2;
    this.chunks.push(new RequestCols(Math.min(maxEntries, CHUNK)));
  }

  /** The oldest slot (with len > 0). */
  get head(): number {
    return (this.headChunk << CHUNK_SHIFT) | this.headOff;
  }

  /** A slot for a new request, after every one in use (the caller keeps len below the bound). */
  add(): number {
    if (this.tailOff === this.chunks[this.tailChunk]!.size) this.nextTail();
    this.len++;
    return (this.tailChunk << CHUNK_SHIFT) | this.tailOff++;
  }

  /** Frees the oldest slot (with len > 0). */
  shift(): void {
    if (--this.len === 0) {
      // Empty: start over at the front of the chunk in use.
      this.headChunk = this.tailChunk;
      this.headOff = this.tailOff = 0;
      return;
    }
    if (++this.headOff < this.chunks[this.headChunk]!.size) return;
    this.headOff = 0;
    if (this.wraps) return;
    this.free.push(this.headChunk);
    this.headChunk = this.after[this.headChunk]!;
  }

  /** The tail is at its chunk's end: it wraps, or the next chunk is taken (a free one first). */
  private nextTail(): void {
    if (this.wraps) {
      this.tailOff = 0;
      return;
    }
    let q = this.free.pop();
    if (q === undefined) {
      q = this.chunks.length;
      // The index's cells hold slot numbers in slotLimit's bits: past it they would clash.
      if (q === this.maxChunks) throw new RangeError('request table past its slot limit');
      this.chunks.push(new RequestCols(CHUNK));
    }
    this.after[this.tailChunk] = q;
    this.tailChunk = q;
    this.tailOff = 0;
  }
}
