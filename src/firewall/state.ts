/**
 * Validation of whole firewall states and options, shared by the fake and the nftables
 * adapter so both accept and refuse exactly the same input.
 */
import { SipprotError } from '../core/errors.js';
import { parseAddress } from '../core/net/ip.js';
import type { DynamicBlock, FirewallOptions, FirewallState, TftpRatePer } from '../ports/firewall.js';
import type { AddressRange, Host } from './validate.js';
import { parseHost, toRanges } from './validate.js';

export type ListSet = 'allow' | 'deny' | 'country';

/** Desired state with every network parsed and merged, ready to render. */
export interface RenderState {
  lists: Record<ListSet, AddressRange[]>;
  dynamic: Array<{ host: Host; timeoutMs: number | null }>;
  options: FirewallOptions;
}

/** Ten years: more is a bug upstream, and nft refuses very long timeouts anyway. */
const MAX_TIMEOUT_SECONDS = 3650 * 86400;
const RATE_PERS: readonly TftpRatePer[] = ['second', 'minute', 'hour', 'day'];

/** Seconds → kernel milliseconds (at least 1), or null for no timeout. */
export function timeoutMs(ip: string, seconds: number | null): number | null {
  if (seconds === null) return null;
  if (
    typeof seconds !== 'number' ||
    !Number.isFinite(seconds) ||
    seconds <= 0 ||
    seconds > MAX_TIMEOUT_SECONDS
  ) {
    throw new SipprotError(
      'SP_ERR_USAGE',
      `block of ${ip}: timeout must be a number of seconds > 0 and ≤ ${MAX_TIMEOUT_SECONDS} or null, got ${seconds}`,
    );
  }
  return Math.max(1, Math.ceil(seconds * 1000));
}

function wholeIn(n: unknown, min: number, max: number): boolean {
  return typeof n === 'number' && Number.isInteger(n) && n >= min && n <= max;
}

/** A checked copy of the options; refuses what nft would refuse, naming the config key. */
export function checkOptions(o: FirewallOptions): FirewallOptions {
  const bad = (key: string, value: unknown, allowed: string) =>
    new SipprotError('SP_ERR_CONFIG_INVALID', `${key}=${String(value)} is invalid: ${allowed}`);
  const t = o?.tftp;
  if (!t || typeof t.enabled !== 'boolean') throw bad('TFTP_PROTECTION', t?.enabled, 'yes or no');
  if (!t.rate || !wholeIn(t.rate.count, 1, 1_000_000) || !RATE_PERS.includes(t.rate.per)) {
    throw bad(
      'TFTP_RATE',
      t.rate ? `${t.rate.count}/${t.rate.per}` : t.rate,
      'N/second|minute|hour|day with N from 1 to 1000000',
    );
  }
  if (!wholeIn(t.burst, 1, 1_000_000)) throw bad('TFTP_BURST', t.burst, 'a whole number from 1 to 1000000');
  if (typeof o.dns !== 'boolean') throw bad('DNS_PROTECTION', o.dns, 'yes or no');
  return {
    tftp: { enabled: t.enabled, rate: { count: t.rate.count, per: t.rate.per }, burst: t.burst },
    dns: o.dns,
  };
}

/**
 * Validate a whole desired state. Blocks with no time left are left out (they have
 * expired); a repeated address keeps its last entry.
 */
export function prepareState(desired: FirewallState): RenderState {
  const dyn = new Map<string, { host: Host; timeoutMs: number | null }>();
  for (const d of desired.dynamic) {
    const host = parseHost(d.ip);
    if (d.expiresIn !== null && typeof d.expiresIn === 'number' && d.expiresIn <= 0) {
      dyn.delete(host.text);
      continue;
    }
    dyn.set(host.text, { host, timeoutMs: timeoutMs(host.text, d.expiresIn) });
  }
  return {
    lists: {
      allow: toRanges(desired.allow),
      deny: toRanges(desired.deny),
      country: toRanges(desired.countries),
    },
    dynamic: [...dyn.values()],
    options: checkOptions(desired.options),
  };
}

/** Dynamic blocks in address order (IPv4 first), as both firewalls report them. */
export function sortByAddress(blocks: DynamicBlock[]): DynamicBlock[] {
  // Fixed-width keys (family, then the address bytes in hex) sort as the addresses do.
  const keyed = blocks.map((b) => {
    const a = parseAddress(b.ip);
    return { b, key: a ? `${a.family}${Buffer.from(a.bytes).toString('hex')}` : `9${b.ip}` };
  });
  keyed.sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
  return keyed.map((k) => k.b);
}
