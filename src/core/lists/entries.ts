/**
 * What a list entry may be, beyond being a network (issue 10 item 9). nft takes
 * `0.0.0.0`, `::`, `127.0.0.1` or `ff02::1` in a set, but no packet from a peer comes from
 * them, so such an entry blocks or exempts nothing real; sipprot's firewall refused them,
 * and a single one then kept every later list change out of the kernel while `check` said
 * BLOCKED. So they are refused where entries come in (files, CSV, CLI, API), each with
 * its reason, and a file line that holds one is skipped and named (file and line).
 *
 * Near-total ranges are legal but drastic: `128.0.0.0/1` is half the IPv4 internet,
 * `2000::/3` all of global IPv6. They need `--force` (force: true) when added, and are
 * warned about when a file that holds them is loaded.
 */
import { type Network, parseNetwork } from '../net/ip.js';
import { neverSourceRange } from '../net/special.js';

/** Shorter prefixes than these are near-total: IPv4 /7 is 1/128 of all addresses. */
const HUGE_BELOW = { 4: 8, 6: 16 } as const;

/**
 * hugeEntry of a network written as text, parsed only when its prefix is short enough to
 * be near-total (a fleet's 100k-entry list is mostly hosts: no parse for them).
 */
export function hugeEntryOf(text: string): string | null {
  const slash = text.indexOf('/');
  if (slash < 0 || Number(text.slice(slash + 1)) >= Math.max(HUGE_BELOW[4], HUGE_BELOW[6])) return null;
  const net = parseNetwork(text);
  return net ? hugeEntry(net) : null;
}

/** Why `net` can never be a list entry (unspecified, loopback, multicast, broadcast), or null. */
export function entryRefusal(net: Network): string | null {
  // Most entries of a big list are IPv4 hosts outside 0/8, 127/8 and 224/3, which hold
  // every IPv4 never-a-source range: no walk of the special ranges for them.
  if (net.family === 4 && net.prefix === 32) {
    const first = net.bytes[0]!;
    if (first !== 0 && first !== 127 && first < 224) return null;
  }
  const r = neverSourceRange(net);
  if (!r) return null;
  const what = r.network.text === net.text ? r.name : `inside ${r.network.text} (${r.name})`;
  return `'${net.text}' is ${what}: no packet comes from it, so sipprot never blocks or exempts it`;
}

/** Why `net` is near-total and needs force, or null. */
export function hugeEntry(net: Network): string | null {
  if (net.prefix >= HUGE_BELOW[net.family]) return null;
  const share = net.prefix === 0 ? 'every' : `1/${2 ** net.prefix} of all`;
  return (
    `'${net.text}' covers ${share} IPv${net.family} addresses: ` +
    'repeat with --force (force: true) if you really mean it'
  );
}
