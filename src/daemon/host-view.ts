/**
 * The daemon's view of its host (issue 10 items 6-8): its addresses, resolvers, gateways,
 * SSH peers and LANs (platform/host-facts.ts), read at most every REFRESH_MS (a few /proc
 * files; the lock-out guard asks per admin change, the forged-packet shield per tick),
 * and what BLOCKED_COUNTRIES from a config file would cut off — a file cannot be refused
 * at start or reload, so it is said (log and the reload's answer).
 */
import type { LocalAdmin } from '../admin/local-admin.js';
import type { Protected } from '../core/lists/lockout.js';
import type { Config } from '../core/types.js';
import { type HostFacts, protectedByHost, readHostFacts } from '../platform/host-facts.js';
import type { Logger } from '../ports/logger.js';

const REFRESH_MS = 5000;

export class HostView {
  private cached: { at: number; facts: HostFacts } | null = null;

  constructor(private readonly source: () => HostFacts = readHostFacts) {}

  facts(): HostFacts {
    const now = Date.now();
    if (!this.cached || now - this.cached.at > REFRESH_MS) this.cached = { at: now, facts: this.source() };
    return this.cached.facts;
  }

  protect(): Protected[] {
    return protectedByHost(this.facts());
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
