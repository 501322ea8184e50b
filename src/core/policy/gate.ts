/**
 * Whether an address may be blocked at all, before any rule counts: the allow list beats
 * everything; a deny-listed or country-blocked address is already dropped by the kernel,
 * so blocking it again would decide nothing new; an address the lists cannot read is
 * counted as invalid. Split from policy.ts (the blocks it holds and their time), which
 * asks this once per new block.
 */

/** The access-list lookup the policy needs (AccessLists in lists.ts has it). */
export interface ListLookup {
  check(ip: string): { status: 'allowed' | 'denied' | 'none' };
}

export type CountryLookup = (ip: string) => string | null;

/** The counters a gate refusal raises (PolicyStats has them). */
export interface GateStats {
  allowed: number;
  denied: number;
  country: number;
  invalid: number;
}

/** Lists and countries: null if nothing may be decided about `ip`, else its country. */
export function gateOf(
  ip: string,
  lists: ListLookup,
  country: CountryLookup,
  blockedCountries: ReadonlySet<string>,
  stats: GateStats,
): { country: string | null } | null {
  let status: 'allowed' | 'denied' | 'none';
  try {
    status = lists.check(ip).status;
  } catch {
    stats.invalid++;
    return null;
  }
  if (status === 'allowed') {
    stats.allowed++;
    return null;
  }
  if (status === 'denied') {
    stats.denied++;
    return null;
  }
  const c = country(ip);
  if (c !== null && blockedCountries.has(c.toUpperCase())) {
    stats.country++;
    return null;
  }
  return { country: c };
}
