/**
 * The daemon's view of its host (issue 10 items 6-8): its addresses, resolvers, gateways,
 * SSH peers and LANs (platform/host-facts.ts), read at most every REFRESH_MS (a few /proc
 * files; the lock-out guard asks per admin change, the forged-packet shield per tick),
 * and what BLOCKED_COUNTRIES from a config file would cut off — a file cannot be refused
 * at start or reload, so it is said (log and the reload's answer).
 */
import type { LocalAdmin } from '../admin/local-admin.js';
import type { Protected } from '../core/lists/lockout.js';
import { networkContains, parseAddress, parseNetwork } from '../core/net/ip.js';
import { PrefixSet } from '../core/net/prefix-set.js';
import type { Config } from '../core/types.js';
import {
  type HostFacts,
  protectedByHost,
  readHostFacts,
  readHostFactsAsync,
} from '../platform/host-facts.js';
import type { Logger } from '../ports/logger.js';

export const REFRESH_MS = 5000;

export class HostView {
  private cached: { at: number; facts: HostFacts } | null = null;
  private lookup: { at: number; ips: Set<string> } | null = null;
  private refreshing = false;

  constructor(
    private readonly source: () => HostFacts = readHostFacts,
    /** Peers of live web admin sessions (api/presence.ts). */
    private readonly sessions: () => string[] = () => [],
  ) {}

  facts(): HostFacts {
    const now = Date.now();
    if (!this.cached || now - this.cached.at > REFRESH_MS) this.cached = { at: now, facts: this.source() };
    return this.cached.facts;
  }

  protect(): Protected[] {
    return [
      ...protectedByHost(this.facts()),
      ...this.sessions().map((ip) => ({ ip, why: 'a web admin session' })),
    ];
  }

  /**
   * Whether a dynamic block of `ip` must be held back (issue 10 item 7): the protected
   * addresses above, or PROTECTED_PEERS. O(1): the set is rebuilt by refresh(), off the
   * packet path, since a scanner flood asks once per packet.
   */
  isProtected(ip: string, peers: PrefixSet<true> | null): boolean {
    // Never reads /proc here (a scanner flood asks per packet): refresh() does, on a timer.
    this.lookup ??= { at: Date.now(), ips: new Set(this.protect().map((p) => p.ip)) };
    if (ip.includes('/')) return this.protectsIn(ip, peers);
    if (this.lookup.ips.has(ip)) return true;
    if (!peers || peers.size === 0) return false;
    const a = parseAddress(ip);
    return a !== null && peers.lookup(a) !== undefined;
  }

  /**
   * PREFIX_BLOCK asks about a whole network (rarely: once when a prefix becomes held): does
   * it hold a protected address, or overlap a PROTECTED_PEERS network? Then it is never
   * blocked whole. An unparsable network counts as protected (never block what we cannot read).
   */
  private protectsIn(network: string, peers: PrefixSet<true> | null): boolean {
    const net = parseNetwork(network);
    if (net === null) return true;
    for (const ip of this.lookup?.ips ?? []) {
      const a = parseAddress(ip);
      if (a !== null && networkContains(net, a)) return true;
    }
    // Two networks overlap when one holds the other's first address.
    for (const { network: p } of peers?.entries() ?? []) {
      if (networkContains(net, p) || networkContains(p, net)) return true;
    }
    return false;
  }

  /** Re-reads the host facts and rebuilds the protected set (at start, before the first packet). */
  refresh(): void {
    this.cached = null;
    this.lookup = { at: Date.now(), ips: new Set(this.protect().map((p) => p.ip)) };
  }

  /**
   * refresh() for the daemon's timer (every REFRESH_MS): the /proc files are read off the
   * event loop (platform/host-facts.ts: reading /proc/net/tcp held it 3–90 ms on a loaded
   * machine, every 5 s, packets waiting); the set is swapped in when they are read.
   */
  async refreshLater(): Promise<void> {
    if (this.refreshing) return;
    this.refreshing = true;
    try {
      const facts = this.source === readHostFacts ? await readHostFactsAsync() : this.source();
      this.cached = { at: Date.now(), facts };
      this.lookup = { at: Date.now(), ips: new Set(this.protect().map((p) => p.ip)) };
    } catch {
      // The facts in force stay; the next tick tries again.
    } finally {
      this.refreshing = false;
    }
  }

  lans(): Array<{ network: string; iface: string }> {
    return this.facts().lans ?? [];
  }
}

/** Logs and returns what the config's countries would cut off that `previous` did not. */
export async function reviewCountries(
  admin: LocalAdmin,
  next: Config,
  previous: readonly string[],
  log: Logger,
): Promise<string[]> {
  if (next.blockedCountries.length === 0) return [];
  const said = await admin
    .reviewCountries(next.blockedCountries, previous)
    .catch((e) => [`could not check the blocked countries against this host: ${(e as Error).message}`]);
  for (const w of said) log.warn({ countries: next.blockedCountries }, `BLOCKED_COUNTRIES: ${w}`);
  return said;
}

/** PROTECTED_PEERS as a prefix set (rebuilt on reload). */
export function protectedPeers(networks: readonly string[]): PrefixSet<true> | null {
  if (networks.length === 0) return null;
  const set = new PrefixSet<true>();
  for (const n of networks) {
    const net = parseNetwork(n);
    if (net) set.add(net, true);
  }
  return set;
}
