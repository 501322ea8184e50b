/**
 * What a feed may put in the kernel. A feed is someone else's list, loaded without a
 * human reading it, so each entry is checked on what it would drop here:
 * - never-source addresses (0.0.0.0, loopback, multicast: core/lists/entries.ts) and
 *   near-total ranges (shorter than IPv4 /8 or IPv6 /16) are refused;
 * - so is anything inside or around a special-purpose range (core/net/special.ts):
 *   FireHOL's level1 lists the bogons 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 and
 *   100.64.0.0/10 on purpose (for border routers), and loaded on a PBX they would cut the
 *   LAN's phones and the admin off.
 * Refused entries are skipped and counted, never fatal: the rest of the feed still loads.
 *
 * A list download is read line by line (`#` and `;` comments, first word of a line;
 * `start-end` ranges become their CIDR blocks). A file that is mostly not addresses (an
 * HTML error page, a wrong URL) is refused as a whole.
 */
import { hugeEntry } from '../lists/entries.js';
import { type Family, formatNetwork, type Network, parseAddress, parseNetwork } from '../net/ip.js';
import { addressToBigint, rangePrefixes } from '../net/ip-range.js';
import { networkWithin, neverSourceRange, specialRanges } from '../net/special.js';

/** Why a feed entry is not loaded, or null when it is fine. */
export function feedEntryRefusal(net: Network): string | null {
  const never = neverSourceRange(net);
  if (never) return `${net.text} is ${never.name}`;
  if (hugeEntry(net)) return `${net.text} is too large (shorter than /${net.family === 4 ? 8 : 16})`;
  for (const r of specialRanges()) {
    if (networkWithin(net, r.network)) return `${net.text} is inside ${r.network.text} (${r.name})`;
    if (networkWithin(r.network, net)) return `${net.text} contains ${r.network.text} (${r.name})`;
  }
  return null;
}

export interface ListParse {
  /** Accepted networks, canonical and without duplicates, in file order. */
  networks: Network[];
  /** Lines that held an entry (valid or not). */
  entryLines: number;
  /** Lines that are not an address, network or range: count and the first few line numbers. */
  bad: { count: number; lines: number[] };
  /** Valid networks refused by feedEntryRefusal: count and the first few reasons. */
  refused: { count: number; reasons: string[] };
  /** More than `max` networks: the rest was not read. */
  truncated: boolean;
}

const SHOWN = 5;
/** A line longer than this is not an address line (a minified page, binary data). */
const MAX_LINE = 512;
/** Ranges wider than this many CIDR blocks are refused (no list writes such ranges). */
const MAX_RANGE_BLOCKS = 64;

/** `a-b` → its CIDR blocks, or null when it is not a range of two addresses of one family. */
function rangeNetworks(text: string): Network[] | null {
  const dash = text.indexOf('-');
  const a = parseAddress(text.slice(0, dash));
  const b = parseAddress(text.slice(dash + 1));
  if (!a || !b || a.family !== b.family) return null;
  const start = addressToBigint(a.bytes);
  const end = addressToBigint(b.bytes);
  if (start > end) return null;
  const blocks = rangePrefixes(start, end, a.family);
  if (blocks.length > MAX_RANGE_BLOCKS) return null;
  return blocks.map((p) => networkOf(p.start, p.prefix, a.family));
}

function networkOf(start: bigint, prefix: number, family: Family): Network {
  const len = family === 4 ? 4 : 16;
  const bytes = new Uint8Array(len);
  let v = start;
  for (let i = len - 1; i >= 0; i--) {
    bytes[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return { family, bytes, prefix, text: formatNetwork({ bytes, prefix }) };
}

/** The first word of a line, without comments; '' for a blank or comment line. */
function entryOf(raw: string): string {
  const cut = raw.search(/[#;]/);
  const body = (cut >= 0 ? raw.slice(0, cut) : raw).trim();
  return body === '' ? '' : (body.split(/[\s,]+/)[0] as string);
}

/** A plain address/CIDR list → networks, with what was bad or refused. */
export function parseFeedList(text: string, max: number): ListParse {
  const out: ListParse = {
    networks: [],
    entryLines: 0,
    bad: { count: 0, lines: [] },
    refused: { count: 0, reasons: [] },
    truncated: false,
  };
  const seen = new Set<string>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] as string;
    const word = raw.length > MAX_LINE ? '\0' : entryOf(raw);
    if (word === '') continue;
    out.entryLines++;
    const one = word.includes('-') ? null : parseNetwork(word);
    const nets = one ? [one] : word.includes('-') ? rangeNetworks(word) : null;
    if (!nets) {
      out.bad.count++;
      if (out.bad.lines.length < SHOWN) out.bad.lines.push(i + 1);
      continue;
    }
    for (const net of nets) {
      const why = feedEntryRefusal(net);
      if (why) {
        out.refused.count++;
        if (out.refused.reasons.length < SHOWN) out.refused.reasons.push(why);
        continue;
      }
      if (seen.has(net.text)) continue;
      if (out.networks.length >= max) {
        out.truncated = true;
        return out;
      }
      seen.add(net.text);
      out.networks.push(net);
    }
  }
  return out;
}

/**
 * Why a parsed list download must not replace the feed, or null when it may: no entry at
 * all (an empty or truncated download), or more bad lines than a list has by accident
 * (a page that is not a list: an error page, a login form, a wrong URL).
 */
export function listRefusal(p: ListParse, text: string): string | null {
  if (/^\s*</.test(text))
    return 'the download looks like HTML, not an address list (wrong URL, or an error page)';
  if (p.entryLines === 0) return 'the download has no entries (empty file?)';
  if (p.bad.count > Math.max(10, p.entryLines * 0.01)) {
    return `${p.bad.count} of ${p.entryLines} lines are not addresses or networks (lines ${p.bad.lines.join(', ')}…)`;
  }
  if (p.networks.length === 0) {
    return `no usable entry: every one of the ${p.refused.count} entries was refused (${p.refused.reasons.join('; ')})`;
  }
  return null;
}
