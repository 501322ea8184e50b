/**
 * Refuses changes that would cut the administrator off: denying the network the browser
 * is connected from, dropping the allow entry that is all that keeps it in, blocking
 * its country, or blocking loopback (the host's own services and the CLI path).
 * The Admin implementation gets the requester too; checking here as well means the web
 * UI is safe whatever backend sits behind it.
 */

import { SipprotError } from '../core/errors.js';
import { type Address, type Network, networkContains, parseAddress, parseNetwork } from '../core/net/ip.js';
import type { ListEntry } from '../core/types.js';
import type { Admin } from '../ports/admin.js';

const LOOPBACK = [parseAddress('127.0.0.1')!, parseAddress('::1')!];

/** The canonical requester address of a TCP request, or null (Unix socket, unparsable). */
export function requesterAddress(ip: string | undefined | null): Address | null {
  return ip ? parseAddress(ip) : null;
}

async function allowCovering(admin: Admin, who: Address): Promise<ListEntry[]> {
  return (await admin.listEntries('allow')).filter((e) => {
    const net = parseNetwork(e.network);
    return net !== null && networkContains(net, who);
  });
}

function lockout(message: string, details: Record<string, unknown>): SipprotError {
  return new SipprotError('SP_ERR_LOCKOUT', message, { details });
}

/** Before adding entries to the deny list (one by one or by CSV import). */
export async function guardDenyAdd(
  admin: Admin,
  networks: string[],
  requester: Address | null,
): Promise<void> {
  const parsed = networks.map(parseNetwork).filter((n): n is Network => n !== null);
  for (const net of parsed) {
    if (LOOPBACK.some((a) => networkContains(net, a))) {
      throw lockout(
        `refused: denying ${net.text} would block loopback (the host talking to itself, and this admin interface)`,
        { network: net.text },
      );
    }
  }
  if (!requester) return;
  const hit = parsed.find((n) => networkContains(n, requester));
  if (!hit) return;
  if ((await allowCovering(admin, requester)).length > 0) return;
  throw lockout(
    `refused: denying ${hit.text} would lock you out (you are connected from ${requester.text}); ` +
      `add ${requester.text} to the allow list first if you really mean it`,
    { network: hit.text, requester: requester.text },
  );
}

/** Before removing allow entries (some, or all when `networks` is null). */
export async function guardAllowRemove(
  admin: Admin,
  networks: string[] | null,
  requester: Address | null,
): Promise<void> {
  if (!requester) return;
  const covering = await allowCovering(admin, requester);
  if (covering.length === 0) return;
  const removing = networks === null ? null : new Set(networks.map((n) => parseNetwork(n)?.text ?? n));
  const remaining = covering.filter((e) => removing !== null && !removing.has(e.network));
  if (remaining.length > 0) return;
  const check = await admin.check(requester.text);
  const why = check.deny
    ? `the deny list entry ${check.deny.network}`
    : check.countryBlocked
      ? `the blocked country ${check.country}`
      : check.dynamic
        ? 'a dynamic block'
        : null;
  if (!why) return;
  throw lockout(
    `refused: without ${covering.map((e) => e.network).join(', ')} in the allow list, ${why} ` +
      `would lock you out (you are connected from ${requester.text})`,
    { networks: covering.map((e) => e.network), requester: requester.text },
  );
}

/** Before a settings change that sets BLOCKED_COUNTRIES. */
export async function guardCountries(
  admin: Admin,
  countries: string[],
  requester: Address | null,
): Promise<void> {
  if (!requester) return;
  const check = await admin.check(requester.text);
  if (!check.country || check.allow) return;
  if (!countries.includes(check.country)) return;
  throw lockout(
    `refused: blocking ${check.country} would lock you out (you are connected from ${requester.text}, ` +
      `located in ${check.country}); add your address to the allow list first`,
    { country: check.country, requester: requester.text },
  );
}
