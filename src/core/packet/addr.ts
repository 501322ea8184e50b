/** Address text straight from packet bytes (no intermediate arrays on the hot path). */

export function ipv4Text(b: Uint8Array, off: number): string {
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
}

/** RFC 5952 text: lower-case hex, the longest run (≥ 2) of zero groups as `::`, leftmost on ties. */
export function ipv6Text(b: Uint8Array, off: number): string {
  let bestStart = -1;
  let bestLen = 1;
  let runStart = -1;
  for (let i = 0; i < 8; i++) {
    const zero = b[off + 2 * i] === 0 && b[off + 2 * i + 1] === 0;
    if (zero) {
      if (runStart < 0) runStart = i;
      const len = i - runStart + 1;
      if (len > bestLen) {
        bestLen = len;
        bestStart = runStart;
      }
    } else {
      runStart = -1;
    }
  }
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      out += i === 0 ? '::' : ':';
      i += bestLen - 1;
      continue;
    }
    out += ((b[off + 2 * i]! << 8) | b[off + 2 * i + 1]!).toString(16);
    if (i < 7) out += ':';
  }
  return out;
}

const CACHE_BITS = 16;

/**
 * Address text with one string per address while it stays in a small direct-mapped cache
 * (64k slots a family, ~1 MB): the decoder no longer builds two fresh strings per packet,
 * and the engine's many Map lookups by address find a string whose hash V8 has already
 * computed and kept (a fresh string is hashed again at every lookup: `Policy.isBlocked`
 * alone was 5% of a replay). A slot taken by another address is simply overwritten, so
 * memory stays bounded whatever the number of sources.
 */
export class AddressTexts {
  private readonly v4Keys = new Int32Array(1 << CACHE_BITS);
  private readonly v4Texts: Array<string | undefined> = new Array(1 << CACHE_BITS).fill(undefined);
  private readonly v6Keys = new Int32Array(4 << CACHE_BITS);
  private readonly v6Texts: Array<string | undefined> = new Array(1 << CACHE_BITS).fill(undefined);

  v4(b: Uint8Array, off: number): string {
    const k = (b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!;
    const i = Math.imul(k, 0x9e3779b1) >>> (32 - CACHE_BITS);
    const t = this.v4Texts[i];
    if (t !== undefined && this.v4Keys[i] === k) return t;
    const text = ipv4Text(b, off);
    this.v4Keys[i] = k;
    this.v4Texts[i] = text;
    return text;
  }

  v6(b: Uint8Array, off: number): string {
    const w0 = word(b, off);
    const w1 = word(b, off + 4);
    const w2 = word(b, off + 8);
    const w3 = word(b, off + 12);
    const h = Math.imul(w0 ^ Math.imul(w1, 0x85ebca6b) ^ Math.imul(w2, 0xc2b2ae35) ^ w3, 0x9e3779b1);
    const i = h >>> (32 - CACHE_BITS);
    const k = i * 4;
    const keys = this.v6Keys;
    const t = this.v6Texts[i];
    if (t !== undefined && keys[k] === w0 && keys[k + 1] === w1 && keys[k + 2] === w2 && keys[k + 3] === w3)
      return t;
    const text = ipv6Text(b, off);
    keys[k] = w0;
    keys[k + 1] = w1;
    keys[k + 2] = w2;
    keys[k + 3] = w3;
    this.v6Texts[i] = text;
    return text;
  }
}

function word(b: Uint8Array, off: number): number {
  return (b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!;
}
