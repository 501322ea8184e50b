/**
 * The country table the daemon keeps in memory: every address space (IPv4, IPv6) cut
 * into contiguous segments, segment i running from start[i] to start[i+1]-1, each with a
 * country index or NO_COUNTRY for unassigned space. Typed arrays keep it to a few MB and
 * let a lookup be one binary search without allocating.
 */

import { SipprotError } from '../errors.js';
import type { Family } from '../net/ip.js';
import { bigintToWords, parseV4, parseV6Words, V4_MAX, V6_MAX } from './addr.js';
import { isCountryCode } from './countries.js';
import type { GeoRange } from './csv.js';
import { rangeElement, rangeToCidrs } from './elements.js';
import { checkSegments, NO_COUNTRY, segmentsOf } from './segments.js';

/**
 * The IPv6 index covers 2000::/3, where all global unicast space is, in /19 buckets:
 * the registries' allocations crowd into a few /16s (2001:, 2400:, 2600:, 2a00:...), so
 * /16 buckets would leave thousands of segments to search in the busy ones.
 */
const V6_INDEX_BASE = 0x20000000;
const V6_INDEX_STEP = 1 << 13;
const V6_INDEX_END = V6_INDEX_BASE + 65536 * V6_INDEX_STEP;

interface GeoTableParts {
  /** Index → upper-case alpha-2 code (at most 65535). */
  countries: readonly string[];
  /** Segment starts, ascending, first is 0. */
  v4Starts: Uint32Array;
  v4Country: Uint16Array;
  /**
   * Segment starts as 4 words each, most significant first, stored by plane: word k of
   * segment i is at k*n + i (n segments). A lookup's binary search then reads mostly the
   * dense first plane. Ascending, first is ::.
   */
  v6Words: Uint32Array;
  v6Country: Uint16Array;
}

export interface CountryRanges {
  v4: string[];
  v6: string[];
}

export class GeoTable {
  readonly countries: readonly string[];
  readonly v4Starts: Uint32Array;
  readonly v4Country: Uint16Array;
  readonly v6Words: Uint32Array;
  readonly v6Country: Uint16Array;
  private readonly scratch = new Uint32Array(4);
  private readonly gaps4: number;
  private readonly gaps6: number;
  /**
   * index[h] = last segment starting at or before bucket h (IPv4: h << 16; IPv6: the
   * h-th /19 of 2000::/3); the segment holding an address of bucket h lies in
   * [index[h], index[h+1]], so a lookup searches a few entries instead of the whole
   * table (fewer cache misses).
   */
  private readonly index4: Uint32Array;
  private readonly index6: Uint32Array;
  /** The four planes of v6Words. */
  private readonly p0: Uint32Array;
  private readonly p1: Uint32Array;
  private readonly p2: Uint32Array;
  private readonly p3: Uint32Array;

  /** Checks the structure (a corrupt file must not give wrong answers) and adopts the arrays. */
  constructor(parts: GeoTableParts) {
    const { countries, v4Starts, v4Country, v6Words, v6Country } = parts;
    const { planes, gaps4, gaps6 } = checkSegments(countries, v4Starts, v4Country, v6Words, v6Country);
    this.gaps4 = gaps4;
    this.gaps6 = gaps6;
    this.countries = countries;
    this.v4Starts = v4Starts;
    this.v4Country = v4Country;
    this.v6Words = v6Words;
    this.v6Country = v6Country;
    ({ p0: this.p0, p1: this.p1, p2: this.p2, p3: this.p3 } = planes);
    this.index4 = buildIndex(
      v4Starts.length,
      (i) => v4Starts[i] as number,
      () => true,
      0,
      65536,
    );
    const { p0, p1, p2, p3 } = planes;
    this.index6 = buildIndex(
      v6Country.length,
      (i) => p0[i] as number,
      (i) => p1[i] === 0 && p2[i] === 0 && p3[i] === 0,
      V6_INDEX_BASE,
      V6_INDEX_STEP,
    );
  }

  /** Builds from flattened ranges (see flatten()); throws if they overlap. */
  static fromRanges(v4: readonly GeoRange[], v6: readonly GeoRange[]): GeoTable {
    const codes = [...new Set([...v4, ...v6].map((r) => r.country))].sort();
    const index = new Map(codes.map((c, i) => [c, i]));
    const s4 = segmentsOf(v4, index, V4_MAX);
    const s6 = segmentsOf(v6, index, V6_MAX);
    const n6 = s6.starts.length;
    const v6Words = new Uint32Array(n6 * 4);
    const w = [0, 0, 0, 0];
    s6.starts.forEach((s, i) => {
      bigintToWords(s, w);
      for (let k = 0; k < 4; k++) v6Words[k * n6 + i] = w[k] as number;
    });
    return new GeoTable({
      countries: codes,
      v4Starts: Uint32Array.from(s4.starts, Number),
      v4Country: Uint16Array.from(s4.cc),
      v6Words,
      v6Country: Uint16Array.from(s6.cc),
    });
  }

  /** Country of an IPv4 address given as uint32. */
  countryV4(ip: number): string | null {
    const s = this.v4Starts;
    const h = ip >>> 16;
    let lo = this.index4[h] as number;
    let hi = this.index4[h + 1] as number;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if ((s[mid] as number) <= ip) lo = mid;
      else hi = mid - 1;
    }
    const c = this.v4Country[lo] as number;
    return c === NO_COUNTRY ? null : (this.countries[c] as string);
  }

  /** Country of an IPv6 address given as four uint32 words (most significant first). */
  countryV6(w: Uint32Array): string | null {
    const w0 = w[0] as number;
    // IPv4-mapped (::ffff:a.b.c.d) is an IPv4 peer on a dual-stack socket.
    if (w0 === 0 && w[1] === 0 && w[2] === 0xffff) return this.countryV4(w[3] as number);
    const { p0, p1, p2, p3 } = this;
    let lo = 0;
    let hi = this.v6Country.length - 1;
    if (w0 >= V6_INDEX_BASE && w0 < V6_INDEX_END) {
      const h = (w0 - V6_INDEX_BASE) >>> 13;
      lo = this.index6[h] as number;
      hi = this.index6[h + 1] as number;
    }
    const w1 = w[1] as number;
    const w2 = w[2] as number;
    // start[mid] <= address  ⟺  not (address < start[mid]); most decisions end at word 0.
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      const a = p0[mid] as number;
      let le: boolean;
      if (a !== w0) le = a < w0;
      else {
        const b = p1[mid] as number;
        if (b !== w1) le = b < w1;
        else {
          const c = p2[mid] as number;
          le = c !== w2 ? c < w2 : (p3[mid] as number) <= (w[3] as number);
        }
      }
      if (le) lo = mid;
      else hi = mid - 1;
    }
    const c = this.v6Country[lo] as number;
    return c === NO_COUNTRY ? null : (this.countries[c] as string);
  }

  /**
   * Country code for an address (text, or 4/16 network-order bytes); null when the
   * address is unassigned or not an address at all.
   */
  country(ip: string | Uint8Array): string | null {
    if (typeof ip === 'string') {
      if (ip.includes(':')) return parseV6Words(ip, this.scratch) ? this.countryV6(this.scratch) : null;
      const n = parseV4(ip);
      return n === null ? null : this.countryV4(n);
    }
    if (ip.length === 4) {
      return this.countryV4(
        ((ip[0] as number) * 16777216 +
          ((ip[1] as number) << 16) +
          ((ip[2] as number) << 8) +
          (ip[3] as number)) >>>
          0,
      );
    }
    if (ip.length === 16) {
      const w = this.scratch;
      for (let k = 0; k < 4; k++) {
        const o = k * 4;
        w[k] =
          ((ip[o] as number) * 16777216 +
            ((ip[o + 1] as number) << 16) +
            ((ip[o + 2] as number) << 8) +
            (ip[o + 3] as number)) >>>
          0;
      }
      return this.countryV6(w);
    }
    return null;
  }

  /** Segments that carry a country (the "ranges" an admin would count). */
  get v4Ranges(): number {
    return this.v4Country.length - this.gaps4;
  }

  get v6Ranges(): number {
    return this.v6Country.length - this.gaps6;
  }

  /** Bytes held by the typed arrays (the table's memory, give or take the small code list). */
  get byteLength(): number {
    return (
      this.v4Starts.byteLength +
      this.v4Country.byteLength +
      this.v6Words.byteLength +
      this.v6Country.byteLength +
      this.index4.byteLength +
      this.index6.byteLength
    );
  }

  private v6Start(i: number): bigint {
    return (
      (BigInt(this.p0[i] as number) << 96n) |
      (BigInt(this.p1[i] as number) << 64n) |
      (BigInt(this.p2[i] as number) << 32n) |
      BigInt(this.p3[i] as number)
    );
  }

  /**
   * Inclusive [start, end] ranges of one family whose country passes `keep`, adjacent
   * ones merged when `merge` (so two neighbouring blocked countries give one range,
   * labelled '*').
   */
  ranges(family: Family, keep: (country: string) => boolean, merge = true): Array<[bigint, bigint, string]> {
    const count = family === 4 ? this.v4Country.length : this.v6Country.length;
    const cc = family === 4 ? this.v4Country : this.v6Country;
    const max = family === 4 ? V4_MAX : V6_MAX;
    const startOf =
      family === 4 ? (i: number) => BigInt(this.v4Starts[i] as number) : (i: number) => this.v6Start(i);
    const out: Array<[bigint, bigint, string]> = [];
    let open = false;
    for (let i = 0; i < count; i++) {
      const c = cc[i] as number;
      const code = c === NO_COUNTRY ? null : (this.countries[c] as string);
      const take = code !== null && keep(code);
      if (take) {
        const end = i + 1 < count ? startOf(i + 1) - 1n : max;
        const last = out[out.length - 1];
        if (open && last && (merge || last[2] === code)) {
          last[1] = end;
          if (last[2] !== code) last[2] = '*';
        } else {
          out.push([startOf(i), end, code]);
        }
      }
      open = take;
    }
    return out;
  }

  /** The table's ranges of one family as flatten() would give them (disjoint, ascending). */
  toRanges(family: Family): GeoRange[] {
    return this.ranges(family, () => true, false).map(([start, end, country]) => ({ start, end, country }));
  }

  private selector(countries: readonly string[]): (c: string) => boolean {
    const want = new Set<string>();
    const unknown: string[] = [];
    for (const raw of countries) {
      const c = raw.trim().toUpperCase();
      if (/^[A-Z]{2}$/.test(c) && isCountryCode(c)) want.add(c);
      else unknown.push(raw);
    }
    if (unknown.length > 0) {
      throw new SipprotError(
        'SP_ERR_GEOIP',
        `unknown country code${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => JSON.stringify(u)).join(', ')}: use ISO 3166-1 alpha-2 codes such as US, DE, CN`,
        { details: { unknown } },
      );
    }
    return (c) => want.has(c);
  }

  /**
   * nftables interval-set elements for the countries, IPv4 and IPv6: each merged range
   * written as one prefix when it is exactly one (`1.2.3.0/24`), else as `a-b`. That is
   * one element per range, never more than the CIDR form. Unknown codes throw.
   */
  rangesFor(countries: readonly string[]): CountryRanges {
    const keep = this.selector(countries);
    return {
      v4: this.ranges(4, keep).map(([s, e]) => rangeElement(s, e, 4)),
      v6: this.ranges(6, keep).map(([s, e]) => rangeElement(s, e, 6)),
    };
  }

  /** The same address space as minimal CIDR lists (for tools that want prefixes only). */
  cidrsFor(countries: readonly string[]): CountryRanges {
    const keep = this.selector(countries);
    const v4: string[] = [];
    const v6: string[] = [];
    for (const [s, e] of this.ranges(4, keep)) v4.push(...rangeToCidrs(s, e, 4));
    for (const [s, e] of this.ranges(6, keep)) v6.push(...rangeToCidrs(s, e, 6));
    return { v4, v6 };
  }
}

/**
 * index[h] = last segment starting at or before bucket h (see GeoTable.index4/index6).
 * `top(i)`: segment i's top 32 bits; `rest0(i)`: its remaining bits are all zero (so it
 * starts exactly at top(i), not after it).
 */
function buildIndex(
  n: number,
  top: (i: number) => number,
  rest0: (i: number) => boolean,
  base: number,
  step: number,
): Uint32Array {
  const index = new Uint32Array(65537);
  let i = 0;
  for (let h = 0; h <= 65536; h++) {
    const at = base + h * step;
    while (i + 1 < n && (top(i + 1) < at || (top(i + 1) === at && rest0(i + 1)))) i++;
    index[h] = i;
  }
  return index;
}
