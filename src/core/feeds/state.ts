/**
 * A feed's entries over time, pure (time is an argument). Each entry keeps when the feed
 * first listed it (`since`, shown by `check`) and when it lapses (`expiresAt`: the last
 * download that listed it + the feed's ttl, also the kernel element's timeout).
 *
 * A bad download never empties a working feed:
 * - a list download replaces the entries only when it passed listRefusal (entries.ts)
 *   and does not shrink the feed below `minRatio` of its live entries; a shrink is taken
 *   when the next download brings the very same data again (a real clean-up upstream),
 *   never on the first sight (a truncated transfer that happens to end on a line break);
 * - APIBAN adds what is new after the cursor; its entries lapse by ttl alone;
 * - whatever was refused, the entries in force keep their expiry: a feed whose source is
 *   gone for longer than ttl ages out, as a stale blocklist should.
 */
import { type Address, type Network, networkContains, parseAddress, parseNetwork } from '../net/ip.js';
import { feedEntryRefusal } from './entries.js';

export interface FeedEntry {
  net: Network;
  /** Epoch seconds: first listed by this feed (kept across downloads). */
  since: number;
  /** Epoch seconds: lapses unless a download lists it again. */
  expiresAt: number;
}

export interface FeedData {
  name: string;
  /** network text → entry */
  entries: Map<string, FeedEntry>;
  /** APIBAN's ID after the last batch taken; null before the first. */
  cursor: string | null;
  /** Epoch seconds of the last download that was taken. */
  lastSuccess: number | null;
  /** A shrinking list download seen once and refused; taken if the next one is the same. */
  pendingShrink: { count: number; digest: string; at: number } | null;
}

export function emptyFeed(name: string): FeedData {
  return { name, entries: new Map(), cursor: null, lastSuccess: null, pendingShrink: null };
}

/** The entries still in force at `now`. */
export function liveCount(d: FeedData, now: number): number {
  let n = 0;
  for (const e of d.entries.values()) if (e.expiresAt > now) n++;
  return n;
}

function withoutExpired(entries: Map<string, FeedEntry>, now: number): Map<string, FeedEntry> {
  const out = new Map<string, FeedEntry>();
  for (const [k, e] of entries) if (e.expiresAt > now) out.set(k, e);
  return out;
}

export type ReplaceResult =
  | { ok: true; data: FeedData; added: number; removed: number }
  | { ok: false; data: FeedData; reason: string };

/**
 * A whole list download (already parsed and checked) → the feed's new entries, or a
 * refusal that keeps the entries in force. `digest` identifies the download's content.
 */
export function replaceList(
  prev: FeedData,
  nets: readonly Network[],
  o: { now: number; ttl: number; minRatio: number; digest: string },
): ReplaceResult {
  const current = withoutExpired(prev.entries, o.now);
  const shrinking = o.minRatio > 0 && current.size > 0 && nets.length < current.size * o.minRatio;
  if (shrinking && prev.pendingShrink?.digest !== o.digest) {
    const pct = Math.round(o.minRatio * 100);
    return {
      ok: false,
      data: { ...prev, entries: current, pendingShrink: { count: nets.length, digest: o.digest, at: o.now } },
      reason:
        `the download would shrink the feed from ${current.size} to ${nets.length} entries (below ${pct}%): ` +
        'kept the current entries; the same data at the next download is taken',
    };
  }
  const entries = new Map<string, FeedEntry>();
  let added = 0;
  for (const net of nets) {
    const old = current.get(net.text);
    if (!old) added++;
    entries.set(net.text, { net, since: old?.since ?? o.now, expiresAt: o.now + o.ttl });
  }
  let removed = 0;
  for (const k of current.keys()) if (!entries.has(k)) removed++;
  return {
    ok: true,
    data: { ...prev, entries, lastSuccess: o.now, pendingShrink: null },
    added,
    removed,
  };
}

/**
 * Addresses added to an incremental feed (APIBAN): new ones enter, listed ones are
 * renewed, lapsed ones go; past `max`, the entries closest to lapsing go first.
 */
export function addEntries(
  prev: FeedData,
  nets: readonly Network[],
  o: { now: number; ttl: number; max: number; cursor: string | null },
): { data: FeedData; added: number } {
  const entries = withoutExpired(prev.entries, o.now);
  let added = 0;
  for (const net of nets) {
    const old = entries.get(net.text);
    if (!old) added++;
    // Re-inserted so the map stays in expiry order (oldest renewal first).
    entries.delete(net.text);
    entries.set(net.text, { net, since: old?.since ?? o.now, expiresAt: o.now + o.ttl });
  }
  if (entries.size > o.max) {
    const drop = [...entries.entries()]
      .sort((a, b) => a[1].expiresAt - b[1].expiresAt)
      .slice(0, entries.size - o.max);
    for (const [k] of drop) entries.delete(k);
  }
  return { data: { ...prev, entries, cursor: o.cursor, lastSuccess: o.now }, added };
}

/** A feed entry an address is in, as `check` shows it. */
export interface FeedMatch {
  feed: string;
  network: string;
  since: number;
  expiresAt: number;
}

/** Every live entry of every feed that holds `addr` (a walk: for admin questions, not packets). */
export function lookupFeeds(feeds: Iterable<FeedData>, addr: Address, now: number): FeedMatch[] {
  const out: FeedMatch[] = [];
  for (const d of feeds) {
    for (const e of d.entries.values()) {
      if (e.expiresAt > now && networkContains(e.net, addr)) {
        out.push({ feed: d.name, network: e.net.text, since: e.since, expiresAt: e.expiresAt });
      }
    }
  }
  return out;
}

/** An address the kernel must never drop because of a feed, and why (lock-out guard's list). */
export interface Kept {
  ip: string;
  why: string;
}

export interface KernelFeeds {
  /** Each network once, with the latest expiry any feed gives it (seconds from now). */
  entries: Array<{ network: string; expiresIn: number }>;
  /** Entries left out because they would drop a protected address. */
  held: Array<{ feed: string; network: string; ip: string; why: string }>;
}

/**
 * What the feed sets must hold now. An entry covering a protected address (this host's
 * addresses, gateways, resolvers, the admin's SSH or web session) is left out: a feed is
 * never allowed to lock the admin out, whatever it lists.
 */
export function kernelFeeds(feeds: Iterable<FeedData>, now: number, keep: readonly Kept[] = []): KernelFeeds {
  const kept = keep.flatMap((k) => {
    const addr = parseAddress(k.ip);
    return addr ? [{ addr, k }] : [];
  });
  const best = new Map<string, number>();
  const held: KernelFeeds['held'] = [];
  for (const d of feeds) {
    for (const e of d.entries.values()) {
      if (e.expiresAt <= now) continue;
      const hit = kept.find((p) => networkContains(e.net, p.addr));
      if (hit) {
        held.push({ feed: d.name, network: e.net.text, ip: hit.k.ip, why: hit.k.why });
        continue;
      }
      const at = best.get(e.net.text);
      if (at === undefined || e.expiresAt > at) best.set(e.net.text, e.expiresAt);
    }
  }
  return {
    entries: [...best].map(([network, at]) => ({ network, expiresIn: at - now })),
    held,
  };
}

/** The stored form (STATE_DIR/feeds/NAME.json): compact rows, versioned. */
interface StoredFeed {
  v: 1;
  name: string;
  cursor: string | null;
  lastSuccess: number | null;
  pendingShrink: FeedData['pendingShrink'];
  entries: Array<[string, number, number]>;
}

export function feedToJson(d: FeedData): string {
  const stored: StoredFeed = {
    v: 1,
    name: d.name,
    cursor: d.cursor,
    lastSuccess: d.lastSuccess,
    pendingShrink: d.pendingShrink,
    entries: [...d.entries.values()].map((e) => [e.net.text, e.since, e.expiresAt]),
  };
  return JSON.stringify(stored);
}

const finite = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

/**
 * The stored form back; every entry is checked again as if downloaded (the file is in
 * STATE_DIR, but a damaged or hand-edited one must not bring a LAN range in). Throws an
 * Error saying what is wrong with the file as a whole.
 */
export function feedFromJson(text: string, name: string): { data: FeedData; dropped: number } {
  const s = JSON.parse(text) as Partial<StoredFeed>;
  if (s?.v !== 1 || s.name !== name || !Array.isArray(s.entries)) {
    throw new Error(`not the stored data of feed ${name}`);
  }
  const entries = new Map<string, FeedEntry>();
  let dropped = 0;
  for (const row of s.entries) {
    const net = Array.isArray(row) && typeof row[0] === 'string' ? parseNetwork(row[0]) : null;
    if (!net || !finite(row[1]) || !finite(row[2]) || feedEntryRefusal(net)) {
      dropped++;
      continue;
    }
    entries.set(net.text, { net, since: row[1], expiresAt: row[2] });
  }
  const p = s.pendingShrink;
  return {
    data: {
      name,
      entries,
      cursor: typeof s.cursor === 'string' && /^[0-9]{1,20}$/.test(s.cursor) ? s.cursor : null,
      lastSuccess: finite(s.lastSuccess) ? s.lastSuccess : null,
      pendingShrink:
        p && finite(p.count) && typeof p.digest === 'string' && finite(p.at)
          ? { count: p.count, digest: p.digest, at: p.at }
          : null,
    },
    dropped,
  };
}
