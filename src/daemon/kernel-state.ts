/**
 * What the kernel must hold now (reconcile at start, on reload, after an error): the
 * policy's blocks with KERNEL_SLACK_SECONDS, the lists, the blocked countries' networks,
 * shared blocklists, the options. The enforcer (enforcer.ts) changes the kernel one
 * decision at a time with the same slack.
 */
import type { AccessLists } from '../core/lists/lists.js';
import type { BlockRecord, Config } from '../core/types.js';
import { desiredState } from '../firewall/reconcile.js';
import type { FeedBlock, FirewallState, PackedHosts } from '../ports/firewall.js';

/**
 * The kernel's timeout outlasts the policy's own expiry by this much: renewals are
 * reported at most once a second and lifts come from a 250 ms tick, so an element timed
 * exactly would lapse for a moment before the catch-up renewal (the attacker would get
 * answers in that gap). The daemon's unblock still lifts the block on time; the kernel
 * timeout is the safety net for when the daemon is gone.
 */
export const KERNEL_SLACK_SECONDS = 2;

export interface KernelInput {
  /** Every block the policy holds (dynamic and threshold-permanent); with `packed`, the rest. */
  held: Iterable<Pick<BlockRecord, 'ip' | 'expiresAt'>>;
  /** Single-address blocks already packed with their kernel timeouts (kernel-first.ts, at start). */
  packed?: Record<4 | 6, PackedHosts>;
  /** With `networks`, the lists go to the kernel as parsed (not their text parsed again). */
  lists: Pick<AccessLists, 'allowEntries' | 'denyEntries'> & Partial<Pick<AccessLists, 'networks'>>;
  /** The blocked countries' networks (empty without a geo-IP database). */
  countries: { v4: string[]; v6: string[] };
  /** Shared blocklists' networks (daemon/feeds.ts), with their seconds left. */
  feeds?: FeedBlock[];
  config: Pick<Config, 'tftp' | 'dnsProtection'>;
  now: number;
}

/** What the kernel must hold now; each timeout outlasts the policy's by KERNEL_SLACK_SECONDS. */
export function kernelState(i: KernelInput): FirewallState {
  const nets = i.lists.networks;
  const parsed = nets && { allow: nets.call(i.lists, 'allow'), deny: nets.call(i.lists, 'deny') };
  const state = desiredState({
    ...(parsed
      ? { allow: [], deny: [], parsed }
      : { allow: i.lists.allowEntries(), deny: i.lists.denyEntries() }),
    countries: [...i.countries.v4, ...i.countries.v6],
    // The slack is added in the pass that drops the expired blocks (100k-1M at start): no
    // copy of each block first.
    blocks: i.held,
    slack: KERNEL_SLACK_SECONDS,
    ...(i.feeds ? { feeds: i.feeds } : {}),
    config: i.config,
    now: i.now,
  });
  return i.packed ? { ...state, packedDynamic: i.packed } : state;
}
