/**
 * Seeded randomness and the mutations of the decoder fuzzer (fuzz.testkit.ts): byte-level
 * ones for frames (where lengths and offsets live: 70% of the edits hit the first 80
 * bytes, the link/IP/UDP/TCP headers of a typical frame) and text-level ones for SIP
 * (numbers that overflow, lines that never end, 150 repeated headers against MAX_HEADERS
 * = 100, 70 KB values against MAX_BYTES = 64 KiB, folding, NUL, compact names).
 * Everything flows from one 32-bit seed, so a run is replayed exactly by its seed.
 */
import { mulberry32 } from '../core/prng.testkit.js';

/** The fuzzer's draws over one seeded stream (core/prng.testkit.ts). */
export class Rand {
  readonly next: () => number;

  constructor(seed: number) {
    this.next = mulberry32(seed);
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
}

/** Frames are capped here: the reused capture buffer is 256 KiB, an IP datagram ≤ 64 KiB. */
export const MAX_INPUT = 70_000;

const BYTES = [0x00, 0x01, 0x02, 0x05, 0x06, 0x11, 0x20, 0x2c, 0x3a, 0x40, 0x7f, 0x80, 0xfe, 0xff];
const WORDS = [0, 1, 2, 5, 7, 8, 20, 40, 0x7f, 0x80, 0xff, 0x100, 0x5dc, 0x7fff, 0x8000, 0xfffe, 0xffff];

function headerPos(r: Rand, len: number): number {
  return r.chance(0.7) ? r.int(Math.min(len, 80)) : r.int(len);
}

function join(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.min(MAX_INPUT, a.length + b.length));
  out.set(a.subarray(0, out.length));
  if (a.length < out.length) out.set(b.subarray(0, out.length - a.length), a.length);
  return out;
}

function randomBytes(r: Rand, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = r.int(256);
  return b;
}

/** One byte-level edit of a copy of `f`; `other` is a second seed for splices. */
function mutateOnce(r: Rand, f: Uint8Array, other: Uint8Array): Uint8Array {
  if (f.length === 0) return randomBytes(r, r.int(64));
  switch (r.int(10)) {
    case 0: {
      f[headerPos(r, f.length)]! ^= 1 << r.int(8);
      return f;
    }
    case 1: {
      f[headerPos(r, f.length)] = r.chance(0.5) ? r.pick(BYTES) : r.int(256);
      return f;
    }
    case 2: {
      // A length or offset field set to an edge value (big-endian, as on the wire).
      const p = headerPos(r, f.length - 1);
      const v = r.chance(0.8) ? r.pick(WORDS) : (f.length + r.int(9) - 4) & 0xffff;
      f[p] = v >> 8;
      if (p + 1 < f.length) f[p + 1] = v & 0xff;
      return f;
    }
    case 3:
      return f.subarray(0, r.int(f.length + 1)).slice();
    case 4:
      return join(f, r.chance(0.5) ? new Uint8Array(r.int(200)) : randomBytes(r, r.int(200)));
    case 5: {
      const p = r.int(f.length);
      return join(join(f.subarray(0, p), randomBytes(r, 1 + r.int(16))), f.subarray(p));
    }
    case 6: {
      const p = r.int(f.length);
      return join(f.subarray(0, p), f.subarray(Math.min(f.length, p + 1 + r.int(32))));
    }
    case 7: {
      const p = r.int(f.length);
      const n = 1 + r.int(Math.min(64, f.length - p));
      return join(join(f.subarray(0, p + n), f.subarray(p, p + n)), f.subarray(p + n));
    }
    case 8: {
      const p = r.int(f.length);
      return join(f.subarray(0, p), other.subarray(r.int(other.length + 1)));
    }
    default: {
      const n = Math.min(f.length, 1 + r.int(8));
      const p = r.int(f.length - n + 1);
      f.fill(r.pick(BYTES), p, p + n);
      return f;
    }
  }
}

/** A mutated copy of `seed`: 1 edit half the time, else up to 8. */
export function mutateBytes(r: Rand, seed: Uint8Array, other: Uint8Array): Uint8Array {
  let f: Uint8Array = seed.slice(0, MAX_INPUT);
  const n = r.chance(0.5) ? 1 : 1 + r.int(8);
  for (let i = 0; i < n; i++) f = mutateOnce(r, f, other);
  return f;
}

/** Random bytes, 0–300 of them. */
export function randomFrame(r: Rand): Uint8Array {
  return randomBytes(r, r.int(300));
}

const LATIN1 = new TextDecoder('latin1');

function toBytes(s: string): Uint8Array {
  const n = Math.min(s.length, MAX_INPUT);
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = s.charCodeAt(i) & 0xff;
  return b;
}

const NUMBERS = [
  '0',
  '-1',
  '4294967296',
  '99999999999999999999',
  '1e9',
  ' 12',
  '0x10',
  '65536',
  '2147483648',
];
const HEADERS = [
  'Content-Length: ',
  'l: ',
  'CSeq: ',
  'Via: SIP/2.0/UDP 1.2.3.4;branch=',
  'From: "x" <sip:',
  't: <sip:',
  'User-Agent: ',
  'Authorization: Digest username="',
  'WWW-Authenticate: Digest realm="a",nonce="',
  'Call-ID: ',
  'Contact: <sip:',
  'm: ',
];

/** One text-level edit of a SIP message, the places where parsers miscount. */
function mutateTextOnce(r: Rand, s: string): string {
  const at = r.int(s.length + 1);
  switch (r.int(10)) {
    case 0:
      // A number (Content-Length, CSeq, status, port) replaced by one that overflows.
      return s.replace(/\d+/, () => r.pick(NUMBERS));
    case 1:
      return (
        s.slice(0, at) +
        r.pick(['\r\n', '\n', '\r', '\r\n\r\n', '\r\n ', '\t', '\0', ':', ';', '"', '<', '>', ',', '=']) +
        s.slice(at)
      );
    case 2: {
      const lines = s.split('\r\n');
      const i = r.int(lines.length);
      const times = r.chance(0.5) ? 2 + r.int(4) : 150;
      lines.splice(i, 0, ...Array<string>(times).fill(lines[i] ?? ''));
      return lines.join('\r\n');
    }
    case 3:
      return `${s.slice(0, at)}${r.pick(HEADERS)}${'A'.repeat(r.chance(0.2) ? 70_000 : r.int(600))}\r\n${s.slice(at)}`;
    case 4:
      return s.replaceAll('\r\n', r.chance(0.5) ? '\n' : '\r');
    case 5:
      return s.slice(0, at);
    case 6:
      return r.chance(0.5) ? s.toLowerCase() : s.toUpperCase();
    case 7: {
      const lines = s.split('\r\n');
      const i = 1 + r.int(Math.max(1, lines.length - 1));
      lines.splice(i, 1);
      return lines.join('\r\n');
    }
    case 8:
      return `${r.pick(['\r\n', '\r\n\r\n', '', 'SIP/2.0 ', 'INVITE ', ' '])}${s}${r.pick(['', '\r\n', 'garbage', s])}`;
    default: {
      const p = s.indexOf(r.pick([':', ';', '@', '<', '"', '=', ' ']), at);
      return p < 0 ? s : s.slice(0, p) + s.slice(p + 1);
    }
  }
}

/** A mutated copy of a SIP message: text edits, sometimes bytes edits on top. */
export function mutateSip(r: Rand, msg: Uint8Array, other: Uint8Array): Uint8Array {
  let s = LATIN1.decode(msg);
  const n = 1 + r.int(4);
  for (let i = 0; i < n; i++) s = mutateTextOnce(r, s);
  const b = toBytes(s);
  return r.chance(0.3) ? mutateBytes(r, b, other) : b;
}
