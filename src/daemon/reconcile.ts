import type { AccessLists } from '../core/lists.js';
import type { BlockRecord, Config } from '../core/types.js';
import type { FirewallOptions, FirewallState } from '../firewall/firewall.js';
import type { GeoDatabase } from '../geoip/database.js';

export function firewallOptions(config: Config): FirewallOptions {
  return { tftp: config.tftp, dns: config.dnsProtection };
}

/** The country sets' elements for BLOCKED_COUNTRIES (IPv4 then IPv6). */
export function countryElements(geo: GeoDatabase | null, config: Config): string[] {
  if (!geo || config.blockedCountries.length === 0) return [];
  const r = geo.table.rangesFor(config.blockedCountries);
  return [...r.v4, ...r.v6];
}

/**
 * What the kernel must hold, derived from the store's blocks, the lists, the countries
 * and the config: the store is the truth, the firewall is made to match it.
 */
export function desiredState(input: {
  config: Config;
  lists: AccessLists;
  blocks: Iterable<BlockRecord>;
  countries: string[];
  now: number;
}): FirewallState {
  const dynamic: FirewallState['dynamic'] = [];
  for (const b of input.blocks) {
    if (b.expiresAt === null) dynamic.push({ ip: b.ip, expiresIn: null });
    else if (b.expiresAt > input.now)
      dynamic.push({ ip: b.ip, expiresIn: Math.max(1, b.expiresAt - input.now) });
  }
  return {
    allow: input.lists.allowEntries().map((e) => e.network),
    deny: input.lists.denyEntries().map((e) => e.network),
    countries: input.countries,
    dynamic,
    options: firewallOptions(input.config),
  };
}
