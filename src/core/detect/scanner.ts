/**
 * Scanner user agents: an Aho–Corasick automaton over lower-cased UTF-8 bytes, built
 * once per config. A User-Agent is read once, one table step a byte, whatever the
 * number of patterns (the manual warned that a long list slows sipPROT down; this
 * one does not). Bytes that occur in no pattern share one column, so the table stays
 * small: states × distinct pattern bytes.
 */

function utf8(s: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d < 0xe000) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      }
    }
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return out;
}

export class ScannerMatcher {
  /** The patterns, lower-cased, trimmed, without empties and duplicates. */
  readonly patterns: readonly string[];
  /** Byte → column; 0 is every byte no pattern contains. ASCII upper case folds here. */
  private readonly column = new Uint8Array(256);
  private readonly width: number;
  /**
   * delta[row + column] → next row, where row = state × width (premultiplied: no multiply
   * per byte). A state where some pattern ends is stored as ~row (negative), so the
   * inner loop needs one load and one sign test per byte.
   */
  private readonly delta: Int32Array;
  /** Index of a pattern ending at this state (itself or via its suffix links), or -1. */
  private readonly hit: Int32Array;
  private readonly hasNonAscii: boolean;
  private lastUa = '';
  private lastHit = -1;

  constructor(patterns: readonly string[]) {
    const clean = [...new Set(patterns.map((p) => p.trim().toLowerCase()).filter((p) => p.length > 0))];
    this.patterns = clean;
    const bytes = clean.map(utf8);
    this.hasNonAscii = bytes.some((b) => b.some((x) => x >= 0x80));

    let cols = 1;
    for (const b of bytes) {
      for (const x of b) {
        if (this.column[x] === 0) this.column[x] = cols++;
      }
    }
    if (cols > 256) throw new RangeError('too many distinct bytes in scanner patterns');
    for (let x = 0x41; x <= 0x5a; x++) this.column[x] = this.column[x + 32]!;
    this.width = cols;

    // Trie with map children, then flattened into the dense table below.
    const children: Array<Map<number, number>> = [new Map()];
    const own: number[] = [-1];
    bytes.forEach((b, idx) => {
      let s = 0;
      for (const x of b) {
        const col = this.column[x]!;
        let next = children[s]!.get(col);
        if (next === undefined) {
          next = children.length;
          children.push(new Map());
          own.push(-1);
          children[s]!.set(col, next);
        }
        s = next;
      }
      if (own[s] === -1) own[s] = idx;
    });

    const n = children.length;
    const delta = new Int32Array(n * cols);
    const hit = new Int32Array(n).fill(-1);
    const fail = new Int32Array(n);
    // Breadth first: a state's suffix link is shallower, so it is complete before use.
    const queue: number[] = [];
    hit[0] = own[0]!;
    for (let c = 0; c < cols; c++) {
      const t = children[0]!.get(c);
      if (t !== undefined) {
        delta[c] = t;
        fail[t] = 0;
        queue.push(t);
      }
    }
    for (let qi = 0; qi < queue.length; qi++) {
      const s = queue[qi]!;
      hit[s] = own[s]! >= 0 ? own[s]! : hit[fail[s]!]!;
      for (let c = 0; c < cols; c++) {
        const t = children[s]!.get(c);
        const viaFail = delta[fail[s]! * cols + c]!;
        if (t === undefined) {
          delta[s * cols + c] = viaFail;
        } else {
          delta[s * cols + c] = t;
          fail[t] = viaFail;
          queue.push(t);
        }
      }
    }
    // Premultiply rows and mark accepting targets.
    for (let i = 0; i < delta.length; i++) {
      const t = delta[i]!;
      delta[i] = hit[t]! >= 0 ? ~(t * cols) : t * cols;
    }
    this.delta = delta;
    this.hit = hit;
  }

  get size(): number {
    return this.patterns.length;
  }

  /** Bytes of table memory, for stats. */
  get tableBytes(): number {
    return this.delta.byteLength + this.hit.byteLength;
  }

  /** Index (into `patterns`) of a pattern contained in `ua`, case-insensitive; -1 if none. */
  match(ua: string | null): number {
    if (ua === null || this.patterns.length === 0) return -1;
    // Consecutive requests mostly carry the same User-Agent (a phone's, a tool's).
    if (ua === this.lastUa) return this.lastHit;
    const hit = this.walk(ua);
    this.lastUa = ua;
    this.lastHit = hit;
    return hit;
  }

  private walk(ua: string): number {
    const delta = this.delta;
    const column = this.column;
    const n = ua.length;
    let row = 0;
    for (let i = 0; i < n; i++) {
      const c = ua.charCodeAt(i);
      if (c >= 0x80) return this.matchSlow(ua);
      row = delta[row + column[c]!]!;
      if (row < 0) return this.hit[~row / this.width]!;
    }
    return -1;
  }

  /** The matched pattern text, or null. */
  find(ua: string | null): string | null {
    const i = this.match(ua);
    return i < 0 ? null : this.patterns[i]!;
  }

  // Non-ASCII user agents are rare: fold case with full Unicode rules, then walk bytes.
  private matchSlow(ua: string): number {
    const bytes = utf8(this.hasNonAscii ? ua.toLowerCase() : ua);
    let row = 0;
    for (const b of bytes) {
      row = this.delta[row + this.column[b]!]!;
      if (row < 0) return this.hit[~row / this.width]!;
    }
    return -1;
  }
}
