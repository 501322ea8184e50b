/**
 * Reading back `nft -j list table inet sipprot` (nft 1.0.6 JSON schema 1) into a
 * FirewallState and drop counters. Every address read is parsed again by validate.ts,
 * so snapshot text is canonical whatever nft printed.
 */
import type { FirewallCounters, FirewallOptions, FirewallState, TftpRatePer } from '../ports/firewall.js';
import { COUNTERS } from './nft-render.js';
import type { ListSet } from './state.js';
import { sortByAddress, sortFeeds } from './state.js';
import type { AddressRange } from './validate.js';
import { mergeRanges, parseRange, rangesToNetworks } from './validate.js';

type Json = unknown;

function isObj(v: Json): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** One set element → its text, timeout and expiry (seconds). */
function readElement(e: Json): { text: string; timeout: number | null; expires: number | null } {
  let val: Json = e;
  let timeout: number | null = null;
  let expires: number | null = null;
  if (isObj(e) && isObj(e.elem)) {
    val = e.elem.val;
    if (typeof e.elem.timeout === 'number') timeout = e.elem.timeout;
    if (typeof e.elem.expires === 'number') expires = e.elem.expires;
  }
  let text: string;
  if (typeof val === 'string') text = val;
  else if (isObj(val) && isObj(val.prefix)) text = `${val.prefix.addr}/${val.prefix.len}`;
  else if (isObj(val) && Array.isArray(val.range)) text = `${val.range[0]}-${val.range[1]}`;
  else throw new Error(`unexpected set element in nft output: ${JSON.stringify(e)}`);
  return { text, timeout, expires };
}

function findLimit(v: Json): { rate: number; per: string; burst: number } | null {
  if (Array.isArray(v)) {
    for (const x of v) {
      const r = findLimit(x);
      if (r) return r;
    }
    return null;
  }
  if (!isObj(v)) return null;
  if (isObj(v.limit) && typeof v.limit.rate === 'number') {
    const l = v.limit;
    return { rate: l.rate as number, per: String(l.per), burst: typeof l.burst === 'number' ? l.burst : 0 };
  }
  for (const x of Object.values(v)) {
    const r = findLimit(x);
    if (r) return r;
  }
  return null;
}

function usesCounter(expr: Json, name: string): boolean {
  return Array.isArray(expr) && expr.some((x) => isObj(x) && x.counter === name);
}

interface ParsedTable {
  state: FirewallState;
  counters: FirewallCounters;
}

const LIST_SET = /^(allow|deny|country)([46])_(\d{1,3})$/;
const DYN_SET = /^(dyn|pfx)[46]$/;
const FEED_SET = /^feed[46]_(\d{1,3})$/;

/**
 * Parse `nft -j list table inet sipprot` (or `list counters table ...`). `fallback`
 * supplies the TFTP rate when TFTP is off (the kernel then holds no rate).
 */
export function parseTable(jsonText: string, fallback: FirewallOptions): ParsedTable {
  const doc = JSON.parse(jsonText) as { nftables?: Json[] };
  const lists: Record<ListSet, AddressRange[]> = { allow: [], deny: [], country: [] };
  const dynamic: FirewallState['dynamic'] = [];
  const feeds: NonNullable<FirewallState['feeds']> = [];
  const zero = () => ({ packets: 0, bytes: 0 });
  const counters: FirewallCounters = {
    deny: zero(),
    dynamic: zero(),
    country: zero(),
    tftp: zero(),
    dns: zero(),
    feed: zero(),
  };
  let tftp: FirewallOptions['tftp'] = { ...fallback.tftp, enabled: false };
  let dns = false;
  for (const item of doc.nftables ?? []) {
    if (!isObj(item)) continue;
    if (isObj(item.set)) {
      const name = String(item.set.name);
      const elems = Array.isArray(item.set.elem) ? item.set.elem : [];
      const list = LIST_SET.exec(name);
      if (list) {
        for (const e of elems)
          lists[list[1] as ListSet].push(parseRange(`${readElement(e).text}/${list[3]}`));
      } else if (FEED_SET.test(name)) {
        const len = FEED_SET.exec(name)![1];
        for (const e of elems) {
          const el = readElement(e);
          const network = rangesToNetworks([parseRange(`${el.text}/${len}`)])[0]!;
          feeds.push({ network, expiresIn: el.expires ?? el.timeout ?? 0 });
        }
      } else if (DYN_SET.test(name)) {
        for (const e of elems) {
          const el = readElement(e);
          const expiresIn = el.timeout === null ? null : (el.expires ?? el.timeout);
          dynamic.push({ ip: rangesToNetworks([parseRange(el.text)])[0]!, expiresIn });
        }
      }
    } else if (isObj(item.counter)) {
      const c = item.counter;
      const key = (Object.keys(COUNTERS) as Array<keyof FirewallCounters>).find(
        (k) => COUNTERS[k] === c.name,
      );
      if (key) counters[key] = { packets: Number(c.packets ?? 0), bytes: Number(c.bytes ?? 0) };
    } else if (isObj(item.rule)) {
      const expr = item.rule.expr;
      if (usesCounter(expr, COUNTERS.dns)) dns = true;
      if (usesCounter(expr, COUNTERS.tftp)) {
        const l = findLimit(expr);
        if (l) tftp = { enabled: true, rate: { count: l.rate, per: l.per as TftpRatePer }, burst: l.burst };
      }
    }
  }
  return {
    state: {
      allow: rangesToNetworks(mergeRanges(lists.allow)),
      deny: rangesToNetworks(mergeRanges(lists.deny)),
      countries: rangesToNetworks(mergeRanges(lists.country)),
      dynamic: sortByAddress(dynamic),
      feeds: sortFeeds(feeds),
      options: { tftp, dns },
    },
    counters,
  };
}
