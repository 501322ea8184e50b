/**
 * The lock-out guard: the one implementation every interface calls before a change that
 * could cut off the admin or the host (issue 10 item 8). The CLI (local or over the
 * socket), the web UI and API (through LocalAdmin), CSV imports, settings and config
 * reloads (countries), and cluster events (which apply a peer's change: call
 * `findLockouts` with this host's protected addresses) all ask this function, so they
 * cannot disagree again (the API let an allow-listed admin deny their own network,
 * LocalAdmin refused it).
 *
 * Who is protected (`Protected`, gathered by the caller): the address the change comes
 * from (a web session, the SSH client of a CLI user), the host's own addresses, its
 * resolvers and gateways, the peers of live SSH and web admin sessions, and loopback.
 *
 * A protected address is locked out by a change when, after it, the address is not in
 * the allow list (allow beats everything: an allow-listed admin inside a denied network
 * is NOT locked out) and something the change brings drops it:
 * - deny add: a new entry covers it;
 * - allow remove: its last covering allow entry goes while a deny entry, a blocked
 *   country or a dynamic block would then drop it;
 * - countries: its country becomes blocked.
 * State that already dropped the address before the change is not the change's fault and
 * never refuses it. `force` (CLI --force, API force: true) overrides.
 */
import { SipprotError } from '../errors.js';
import { type Address, type Network, networkContains, parseAddress, parseNetwork } from '../net/ip.js';
import type { ListEntry } from '../types.js';

/** An address the guard keeps reachable, and why (shown in the refusal). */
export interface Protected {
  ip: string;
  why: string;
}

export type GuardedChange =
  | { kind: 'deny-add'; networks: readonly string[] }
  /** null: the whole allow list. */
  | { kind: 'allow-remove'; networks: readonly string[] | null }
  | { kind: 'countries'; countries: readonly string[] };

/** What the guard reads of the lists, geo-IP and dynamic blocks in force (before the change). */
export interface GuardFacts {
  /** Every allow entry whose network contains the address. */
  allowCovering(ip: Address): ListEntry[];
  /** The most specific deny entry containing the address, or null. */
  denyOf(ip: Address): ListEntry | null;
  country(ip: string): string | null;
  blockedCountries: readonly string[];
  /** Whether the address is under a dynamic block now. */
  dynamic(ip: string): boolean;
}

export interface Lockout {
  ip: string;
  /** Why the address is protected ("you are connected from it", "this host's address"). */
  why: string;
  /** What would drop it ("the deny list entry 10.0.0.0/8", "the blocked country NL"). */
  cause: string;
}

/** The protected addresses the change would cut off (empty: the change is safe). */
export function findLockouts(
  change: GuardedChange,
  protect: readonly Protected[],
  facts: GuardFacts,
): Lockout[] {
  const added = change.kind === 'deny-add' ? networksOf(change.networks) : [];
  const out: Lockout[] = [];
  const seen = new Set<string>();
  for (const p of protect) {
    const addr = parseAddress(p.ip);
    if (!addr || seen.has(addr.text)) continue;
    seen.add(addr.text);
    const cause = causeFor(change, addr, added, facts);
    if (cause) out.push({ ip: addr.text, why: p.why, cause });
  }
  return out;
}

function networksOf(texts: readonly string[]): Network[] {
  return texts.map((t) => parseNetwork(t)).filter((n): n is Network => n !== null);
}

function causeFor(change: GuardedChange, addr: Address, added: Network[], f: GuardFacts): string | null {
  const covering = f.allowCovering(addr);
  if (change.kind === 'deny-add') {
    if (covering.length > 0) return null;
    const hit = added.find((n) => networkContains(n, addr));
    return hit ? `denying ${hit.text}` : null;
  }
  if (change.kind === 'countries') {
    if (covering.length > 0) return null;
    const c = f.country(addr.text);
    return c !== null && change.countries.includes(c) && !f.blockedCountries.includes(c)
      ? `blocking the country ${c}`
      : null;
  }
  if (covering.length === 0) return null;
  const removing = change.networks === null ? null : new Set(change.networks.map(canonical));
  const left = covering.filter((e) => removing !== null && !removing.has(e.network));
  if (left.length > 0) return null;
  const gone = covering.map((e) => e.network).join(', ');
  const dropper = dropperOf(addr, f);
  return dropper ? `removing ${gone} from the allow list (then ${dropper} drops it)` : null;
}

function dropperOf(addr: Address, f: GuardFacts): string | null {
  const deny = f.denyOf(addr);
  if (deny) return `the deny list entry ${deny.network}`;
  const c = f.country(addr.text);
  if (c !== null && f.blockedCountries.includes(c)) return `the blocked country ${c}`;
  return f.dynamic(addr.text) ? 'a dynamic block' : null;
}

function canonical(text: string): string {
  return parseNetwork(text)?.text ?? text;
}

/** SP_ERR_LOCKOUT naming every address the change would cut off, and how to go ahead. */
export function lockoutError(lockouts: readonly Lockout[]): SipprotError {
  const lines = lockouts.map((l) => `${l.cause} would cut off ${l.ip} (${l.why})`);
  const first = lockouts[0]!;
  return new SipprotError(
    'SP_ERR_LOCKOUT',
    `refused: ${lines.join('; ')}. Add ${first.ip} to the allow list first, ` +
      'or repeat with --force (force: true) if you really mean it',
    { details: { lockouts } },
  );
}

/** Throws lockoutError when the change cuts off a protected address, unless forced. */
export function guardChange(
  change: GuardedChange,
  protect: readonly Protected[],
  facts: GuardFacts,
  force = false,
): void {
  if (force) return;
  const found = findLockouts(change, protect, facts);
  if (found.length > 0) throw lockoutError(found);
}

/** The protected loopback addresses (the host talking to itself; the kernel rules never drop them). */
export const LOOPBACK: readonly Protected[] = [
  { ip: '127.0.0.1', why: 'loopback: the host talking to itself' },
  { ip: '::1', why: 'loopback: the host talking to itself' },
];
