/**
 * In-memory Firewall for tests and --dry-run. It validates exactly like the nftables
 * adapter (same state.ts/validate.ts), keeps time through an injected clock, and
 * passes the same contract suite (firewall.contract.ts), so code tested against it
 * behaves the same on the real kernel.
 */
import { SipprotError } from '../core/errors.js';
import type {
  DynamicBlock,
  FeedBlock,
  Firewall,
  FirewallCounters,
  FirewallOptions,
  FirewallState,
} from '../ports/firewall.js';
import { unpackHosts } from './packed-hosts.js';
import type { ListSet } from './state.js';
import {
  checkOptions,
  type FeedElement,
  parsePrefixBlock,
  prepareFeeds,
  prepareState,
  sortByAddress,
  sortFeeds,
  timeoutMs,
} from './state.js';
import type { AddressRange } from './validate.js';
import { parseHost, parseRange, rangesToNetworks, toRanges } from './validate.js';

export interface FakeFirewallOptions {
  /** Seconds (epoch or any monotonic origin); default wall clock. */
  now?: () => number;
}

export type DropReason = 'deny' | 'dynamic' | 'feed' | 'country';

interface Table {
  lists: Record<ListSet, AddressRange[]>;
  /** ip → expiry in clock seconds, or null for no timeout. */
  dynamic: Map<string, number | null>;
  /** network → the element and its expiry in clock seconds. */
  feeds: Map<string, { e: FeedElement; at: number }>;
  options: FirewallOptions;
}

export class FakeFirewall implements Firewall {
  private readonly now: () => number;
  private table: Table | null = null;
  private failures: SipprotError[] = [];

  constructor(opts: FakeFirewallOptions = {}) {
    this.now = opts.now ?? (() => Date.now() / 1000);
  }

  /** Make the next change (or snapshot) fail with SP_ERR_FIREWALL, as a broken nft would. */
  failNext(message = 'simulated nft failure'): void {
    this.failures.push(new SipprotError('SP_ERR_FIREWALL', message));
  }

  /** Would a packet from `ip` be dropped by sipprot, and why (allow beats everything). */
  wouldDrop(ip: string): DropReason | null {
    const t = this.table;
    if (!t) return null;
    const r = parseRange(ip);
    const inside = (ranges: AddressRange[]) =>
      ranges.some((x) => x.family === r.family && x.start <= r.start && r.start <= x.end);
    if (inside(t.lists.allow)) return null;
    if (inside(t.lists.deny)) return 'deny';
    this.expire(t);
    if (t.dynamic.has(rangesToNetworks([r])[0]!)) return 'dynamic';
    // PREFIX_BLOCK: networks in the dynamic map, as the kernel's interval sets hold them.
    for (const key of t.dynamic.keys()) {
      if (!key.includes('/')) continue;
      const n = parseRange(key);
      if (n.family === r.family && n.start <= r.start && r.start <= n.end) return 'dynamic';
    }
    const bits = BigInt(r.family === 4 ? 32 : 128);
    for (const { e } of t.feeds.values()) {
      const size = 1n << (bits - BigInt(e.prefix));
      if (e.family === r.family && e.start <= r.start && r.start < e.start + size) return 'feed';
    }
    if (inside(t.lists.country)) return 'country';
    return null;
  }

  async check(): Promise<void> {}

  async init(desired: FirewallState): Promise<void> {
    const s = prepareState(desired);
    this.maybeFail();
    const now = this.now();
    this.table = {
      lists: s.lists,
      dynamic: new Map([
        ...([4, 6] as const).flatMap((f) =>
          unpackHosts(f, s.dynamic[f]).map(
            (d) => [d.text, d.timeoutMs === null ? null : now + d.timeoutMs / 1000] as const,
          ),
        ),
        ...s.prefixes.map((p) => [p.text, p.timeoutMs === null ? null : now + p.timeoutMs / 1000] as const),
      ]),
      feeds: this.feedMap(s.feeds, now),
      options: s.options,
    };
  }

  async setFeeds(feeds: FeedBlock[]): Promise<void> {
    const elements = prepareFeeds(feeds);
    this.live().feeds = this.feedMap(elements, this.now());
  }

  private feedMap(elements: FeedElement[], now: number): Table['feeds'] {
    return new Map(elements.map((e) => [e.text, { e, at: now + e.timeoutMs / 1000 }]));
  }

  async block(ip: string, timeoutSeconds: number | null): Promise<void> {
    const prefix = parsePrefixBlock(ip, timeoutSeconds);
    const text = prefix ? prefix.text : parseHost(ip).text;
    const ms = prefix ? prefix.timeoutMs : timeoutMs(text, timeoutSeconds);
    const t = this.live();
    t.dynamic.set(text, ms === null ? null : this.now() + ms / 1000);
  }

  async unblock(ip: string): Promise<void> {
    const prefix = parsePrefixBlock(ip, null);
    this.live().dynamic.delete(prefix ? prefix.text : parseHost(ip).text);
  }

  async setList(name: 'allow' | 'deny', networks: string[]): Promise<void> {
    if (name !== 'allow' && name !== 'deny')
      throw new SipprotError('SP_ERR_USAGE', `unknown list '${String(name)}'`);
    const ranges = toRanges(networks);
    this.live().lists[name] = ranges;
  }

  async setCountries(networks: string[]): Promise<void> {
    const ranges = toRanges(networks);
    this.live().lists.country = ranges;
  }

  async setOptions(options: FirewallOptions): Promise<void> {
    const o = checkOptions(options);
    this.live().options = o;
  }

  async snapshot(): Promise<FirewallState> {
    const t = this.live();
    this.expire(t);
    const now = this.now();
    const dynamic: DynamicBlock[] = [...t.dynamic].map(([ip, at]) => ({
      ip,
      // Whole seconds, rounded down, as nft lists them.
      expiresIn: at === null ? null : Math.max(0, Math.floor(at - now)),
    }));
    return {
      allow: rangesToNetworks(t.lists.allow),
      deny: rangesToNetworks(t.lists.deny),
      countries: rangesToNetworks(t.lists.country),
      dynamic: sortByAddress(dynamic),
      feeds: sortFeeds(
        [...t.feeds].map(([network, { at }]) => ({ network, expiresIn: Math.max(0, Math.floor(at - now)) })),
      ),
      options: structuredClone(t.options),
    };
  }

  async counters(): Promise<FirewallCounters> {
    this.live();
    const zero = () => ({ packets: 0, bytes: 0 });
    return { deny: zero(), dynamic: zero(), country: zero(), tftp: zero(), dns: zero(), feed: zero() };
  }

  async shutdown(): Promise<void> {
    this.maybeFail();
    this.table = null;
  }

  private live(): Table {
    this.maybeFail();
    if (!this.table) {
      throw new SipprotError('SP_ERR_FIREWALL', 'nft refused a change: table inet sipprot does not exist');
    }
    return this.table;
  }

  private maybeFail(): void {
    const e = this.failures.shift();
    if (e) throw e;
  }

  private expire(t: Table): void {
    const now = this.now();
    for (const [ip, at] of t.dynamic) if (at !== null && at <= now) t.dynamic.delete(ip);
    for (const [net, f] of t.feeds) if (f.at <= now) t.feeds.delete(net);
  }
}
