/**
 * Pure rendering of sipprot's nftables table, and parsing of what `nft -j` lists.
 * Inputs are already validated (validate.ts): nothing here ever sees raw user text.
 *
 * Why the table looks like this:
 * - One `inet` table for both families, one base chain at `prerouting`, priority `raw`
 *   (-300). That is before conntrack (-200), so a dropped packet never reaches the
 *   connection tracker: a blocked peer cannot keep an "established" UDP flow alive, and
 *   no other table's `ct state established accept` can let it through (in nftables a
 *   drop in any base chain is final; an accept only ends that one chain). Existing
 *   conntrack entries of a blocked address are left alone: no packet from it refreshes
 *   them any more, so they age out by their own timeout (UDP: 30 s, 120 s once assured),
 *   and nothing from the address is delivered meanwhile. Prerouting also covers traffic
 *   forwarded to a PBX in a container or VM behind this host.
 * - sipprot only drops or lets a packet pass (`return`); it never accepts, so the host's
 *   own firewall still applies to allowed addresses.
 * - Blocks cover all traffic from the address, not only SIP ports: the manual blocks
 *   the IP. Loopback is never dropped.
 * - Interval sets hold merged ranges without nft's auto-merge: validate.ts merges, so
 *   the kernel holds exactly what we loaded and nft needs no read-back to load it.
 */
import type { FirewallCounters, FirewallOptions, FirewallState, TftpRatePer } from './firewall.js';
import type { ListSet, RenderState } from './state.js';
import { sortByAddress } from './state.js';
import type { AddressRange, Family, Host } from './validate.js';
import { mergeRanges, nftElement, parseRange, rangesToNetworks } from './validate.js';

export const TABLE = 'inet sipprot';
export const CHAIN = 'prerouting';

const LIST_SETS: ListSet[] = ['allow', 'deny', 'country'];
const FAMILIES: Family[] = [4, 6];
const ADDR_TYPE: Record<Family, string> = { 4: 'ipv4_addr', 6: 'ipv6_addr' };
const SADDR: Record<Family, string> = { 4: 'ip saddr', 6: 'ip6 saddr' };

export const COUNTERS: Record<keyof FirewallCounters, string> = {
  deny: 'drop_deny',
  dynamic: 'drop_dynamic',
  country: 'drop_country',
  tftp: 'drop_tftp',
  dns: 'drop_dns',
};

const UNIT_SECONDS: Record<TftpRatePer, number> = { second: 1, minute: 60, hour: 3600, day: 86400 };

/**
 * A kernel timeout. nft refuses large single numbers ("value too large" for 100000000s),
 * so the duration is written in units: 1d2h3m4s5ms.
 */
export function nftDuration(ms: number): string {
  let rest = Math.max(1, Math.round(ms));
  const parts: string[] = [];
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) parts.push(`${n}${unit}`);
    rest -= n * size;
  }
  if (rest > 0) parts.push(`${rest}ms`);
  return parts.join('');
}

/**
 * How long the TFTP meter remembers a source: long enough for its bucket to refill
 * completely, so forgetting it never hands a flooder a fresh burst early.
 */
export function tftpMeterTimeoutSeconds(o: FirewallOptions['tftp']): number {
  const refill = Math.ceil((o.burst / o.rate.count) * UNIT_SECONDS[o.rate.per]);
  return Math.min(7 * 86400, Math.max(60, refill));
}

function tftpSetDecl(family: Family, o: FirewallOptions): string {
  return (
    `{ type ${ADDR_TYPE[family]}; size 65535; flags dynamic,timeout; ` +
    `timeout ${tftpMeterTimeoutSeconds(o.tftp)}s; }`
  );
}

/** DNS answers larger than the glibc advisory's limits (CVE-2015-7547). */
const DNS_UDP_MAX_PAYLOAD = 512;
const DNS_TCP_MAX_MESSAGE = 1024;

/** The rules of our chain, in order, each a complete `add rule` command. */
export function renderRules(o: FirewallOptions): string[] {
  const rule = (r: string) => `add rule ${TABLE} ${CHAIN} ${r}`;
  const out = [rule('iif "lo" return')];
  for (const f of FAMILIES) out.push(rule(`${SADDR[f]} @allow${f} return`));
  for (const [set, counter] of [
    ['deny', COUNTERS.deny],
    ['dyn', COUNTERS.dynamic],
    ['country', COUNTERS.country],
  ] as const) {
    for (const f of FAMILIES) out.push(rule(`${SADDR[f]} @${set}${f} counter name ${counter} drop`));
  }
  if (o.tftp.enabled) {
    const limit = `limit rate over ${o.tftp.rate.count}/${o.tftp.rate.per} burst ${o.tftp.burst} packets`;
    for (const f of FAMILIES) {
      out.push(
        rule(`udp dport 69 update @tftp${f} { ${SADDR[f]} ${limit} } counter name ${COUNTERS.tftp} drop`),
      );
    }
  }
  if (o.dns) {
    // CVE-2015-7547: glibc's getaddrinfo overflowed its stack on DNS answers larger than
    // 2048 bytes; the advisory's mitigation caps UDP answers at 512 bytes and TCP at
    // 1024. Trade-off: this also drops legitimate large EDNS0 answers (DNSSEC, long TXT
    // records); resolvers then fall back to TCP and may fail there too. Hence
    // DNS_PROTECTION is switchable. Only answers (source port 53) are checked, so a
    // DNS server on this host is not affected.
    // UDP: the udp length field counts the 8-byte header.
    out.push(rule(`udp sport 53 udp length > ${DNS_UDP_MAX_PAYLOAD + 8} counter name ${COUNTERS.dns} drop`));
    // TCP carries no payload length nft can read, so the packet length is compared
    // with the message limit + 2-byte length prefix + headers (IPv4 20 / IPv6 40, TCP
    // up to 60 with options): a segment longer than that must carry an oversized answer.
    for (const [f, ipHeader] of [
      [4, 20],
      [6, 40],
    ] as const) {
      const max = DNS_TCP_MAX_MESSAGE + 2 + ipHeader + 60;
      out.push(
        rule(`meta nfproto ipv${f} tcp sport 53 meta length > ${max} counter name ${COUNTERS.dns} drop`),
      );
    }
  }
  return out;
}

function elementsCommand(set: string, elements: string[]): string[] {
  return elements.length === 0 ? [] : [`add element ${TABLE} ${set} { ${elements.join(', ')} }`];
}

function listElements(ranges: AddressRange[], family: Family): string[] {
  return ranges.filter((r) => r.family === family).map(nftElement);
}

function dynElement(d: { host: Host; timeoutMs: number | null }): string {
  return d.timeoutMs === null ? d.host.text : `${d.host.text} timeout ${nftDuration(d.timeoutMs)}`;
}

/**
 * The whole table as one `nft -f` script: one transaction, so the old table is
 * replaced by the new one with no moment in between. The leading `table` makes the
 * `delete` valid when the table does not exist yet.
 */
export function renderInit(s: RenderState): string {
  const lines = [`table ${TABLE}`, `delete table ${TABLE}`, `add table ${TABLE}`];
  for (const name of Object.values(COUNTERS)) lines.push(`add counter ${TABLE} ${name}`);
  for (const f of FAMILIES) {
    for (const set of LIST_SETS) {
      lines.push(`add set ${TABLE} ${set}${f} { type ${ADDR_TYPE[f]}; flags interval; }`);
    }
    lines.push(`add set ${TABLE} dyn${f} { type ${ADDR_TYPE[f]}; flags timeout; }`);
    lines.push(`add set ${TABLE} tftp${f} ${tftpSetDecl(f, s.options)}`);
  }
  lines.push(`add chain ${TABLE} ${CHAIN} { type filter hook prerouting priority raw; policy accept; }`);
  lines.push(...renderRules(s.options));
  for (const f of FAMILIES) {
    for (const set of LIST_SETS) lines.push(...elementsCommand(`${set}${f}`, listElements(s.lists[set], f)));
    const dyn = s.dynamic.filter((d) => d.host.family === f).map(dynElement);
    lines.push(...elementsCommand(`dyn${f}`, dyn));
  }
  return `${lines.join('\n')}\n`;
}

/** Replace one list's contents: one line, one transaction. */
export function renderListBatch(set: ListSet, ranges: AddressRange[]): string {
  const cmds: string[] = [];
  for (const f of FAMILIES) {
    cmds.push(`flush set ${TABLE} ${set}${f}`, ...elementsCommand(`${set}${f}`, listElements(ranges, f)));
  }
  return cmds.join('; ');
}

/**
 * Replace the chain's rules; the TFTP meters are recreated because their timeout
 * depends on the rate, and old meter entries carry the old limit.
 */
export function renderOptionsBatch(o: FirewallOptions): string {
  const cmds = [`flush chain ${TABLE} ${CHAIN}`];
  for (const f of FAMILIES) {
    cmds.push(`delete set ${TABLE} tftp${f}`, `add set ${TABLE} tftp${f} ${tftpSetDecl(f, o)}`);
  }
  cmds.push(...renderRules(o));
  return cmds.join('; ');
}

/** A change to one dynamic entry: a block with its timeout, or an unblock (null). */
export type DynamicChange =
  | { host: Host; timeoutMs: number | null; unblock?: false }
  | { host: Host; unblock: true };

/**
 * Block/unblock many addresses in one transaction. `add` of an existing element keeps
 * its old timeout on older kernels, and `delete` of a missing one fails the whole
 * transaction (nft 1.0.6 has no `destroy`), so each touched address is added, deleted
 * and, if blocked, added again with its timeout: idempotent and exact on any kernel.
 * Later changes to the same address win.
 */
export function renderDynamicBatch(changes: DynamicChange[]): string {
  const last = new Map<string, DynamicChange>();
  for (const c of changes) {
    last.delete(c.host.text);
    last.set(c.host.text, c);
  }
  const cmds: string[] = [];
  for (const f of FAMILIES) {
    const mine = [...last.values()].filter((c) => c.host.family === f);
    if (mine.length === 0) continue;
    const all = mine.map((c) => c.host.text);
    const set = `dyn${f}`;
    cmds.push(...elementsCommand(set, all));
    cmds.push(`delete element ${TABLE} ${set} { ${all.join(', ')} }`);
    const blocks = mine.flatMap((c) => (c.unblock ? [] : [dynElement(c)]));
    cmds.push(...elementsCommand(set, blocks));
  }
  return cmds.join('; ');
}

// ---- reading back `nft -j list table inet sipprot` ----

type Json = unknown;

function isObj(v: Json): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** One set element of nft's JSON → its range, timeout and expiry (seconds). */
function readElement(e: Json): { range: AddressRange; timeout: number | null; expires: number | null } {
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
  return { range: parseRange(text), timeout, expires };
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

export interface ParsedTable {
  state: FirewallState;
  counters: FirewallCounters;
}

/** Parse `nft -j list table inet sipprot` output. `fallback` supplies options not encoded in rules. */
export function parseTable(jsonText: string, fallback: FirewallOptions): ParsedTable {
  const doc = JSON.parse(jsonText) as { nftables?: Json[] };
  const lists: Record<ListSet, AddressRange[]> = { allow: [], deny: [], country: [] };
  const dynamic: FirewallState['dynamic'] = [];
  const counters: FirewallCounters = {
    deny: { packets: 0, bytes: 0 },
    dynamic: { packets: 0, bytes: 0 },
    country: { packets: 0, bytes: 0 },
    tftp: { packets: 0, bytes: 0 },
    dns: { packets: 0, bytes: 0 },
  };
  let tftp: FirewallOptions['tftp'] = { ...fallback.tftp, enabled: false };
  let dns = false;
  for (const item of doc.nftables ?? []) {
    if (!isObj(item)) continue;
    if (isObj(item.set)) {
      const name = String(item.set.name);
      const elems = Array.isArray(item.set.elem) ? item.set.elem : [];
      const m = /^(allow|deny|country|dyn)[46]$/.exec(name);
      if (!m) continue;
      for (const e of elems) {
        const el = readElement(e);
        if (m[1] === 'dyn') {
          const expiresIn = el.timeout === null ? null : (el.expires ?? el.timeout);
          dynamic.push({ ip: rangesToNetworks([el.range])[0]!, expiresIn });
        } else {
          lists[m[1] as ListSet].push(el.range);
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
      options: { tftp, dns },
    },
    counters,
  };
}
