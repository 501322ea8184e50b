/**
 * The firewall port: what the daemon needs from a packet filter, and nothing more.
 * Modelled on CrowdSec's bouncer port (init, add, delete, shutdown, metrics), with one
 * difference: `init` is a full reconcile, so the daemon never has to diff kernel state.
 *
 * Contract (the fake and the nftables adapter both pass firewall.contract.ts):
 * - Every address is validated and canonicalised before it reaches the kernel;
 *   loopback, unspecified and multicast addresses are refused with
 *   SP_ERR_ADDRESS_INVALID (nothing is changed).
 * - Any failure to apply a change throws SipprotError SP_ERR_FIREWALL with the packet
 *   filter's own message. The daemon then calls `init` with the store's state: the
 *   store is the truth, the kernel is made to match it.
 * - Dynamic blocks carry their timeout into the kernel, so a block is lifted on time
 *   even when the daemon is gone.
 * - Allowed networks are exempt from sipprot's drops only; they still meet whatever the
 *   host's own firewall does (sipprot never accepts a packet, it only drops or passes).
 * - Loopback traffic is never dropped.
 * - Feed networks (shared blocklists, issue 15) live in their own sets, apart from the
 *   dynamic set and the lists, each with a kernel timeout: a feed that stops being
 *   refreshed ages out even when the daemon is gone. `setFeeds` replaces them all at once.
 * - Calls may be made concurrently; they are applied in call order.
 */
import type { ListColumns } from '../core/lists/list-columns.js';
import type { Network } from '../core/net/ip.js';

export type TftpRatePer = 'second' | 'minute' | 'hour' | 'day';

export interface FirewallOptions {
  /** TFTP_PROTECTION / TFTP_RATE / TFTP_BURST: per-source rate limit on UDP port 69. */
  tftp: { enabled: boolean; rate: { count: number; per: TftpRatePer }; burst: number };
  /** DNS_PROTECTION: drop oversized DNS answers (glibc CVE-2015-7547). */
  dns: boolean;
}

export interface DynamicBlock {
  /** Canonical single address. */
  ip: string;
  /** Seconds until the kernel lifts the block; null = until unblocked. */
  expiresIn: number | null;
}

/** A network of a shared blocklist (feeds), with the seconds until the kernel drops it. */
export interface FeedBlock {
  /** Canonical network; one network at most once. */
  network: string;
  /** Seconds > 0 (an entry with no time left is not installed). */
  expiresIn: number;
}

export interface FirewallState {
  /** Canonical networks (see validate.ts canonicalNetworks): IPv4 first, then IPv6. */
  allow: string[];
  deny: string[];
  countries: string[];
  dynamic: DynamicBlock[];
  /** Shared blocklists' networks, by address then prefix length; absent = none. */
  feeds?: FeedBlock[];
  options: FirewallOptions;
  /**
   * `allow` and `deny` as their list files' parser gave them (core/net Network, the same
   * entries in any order), when the caller holds them so: an adapter may take these and
   * not parse the text again (a start loads 100k+ entries: issue 13 target 5).
   */
  parsed?: { allow: readonly Network[]; deny: readonly Network[] };
  /**
   * The lists as a start's kernel load reads them (core/lists/list-columns.ts: IPv4 hosts
   * as numbers, no object a line); with it `allow`, `deny` and `parsed` are not read.
   * Repeats allowed; refused entries never in it.
   */
  columns?: { allow: ListColumns; deny: ListColumns };
  /**
   * Dynamic blocks of single addresses already checked and packed, per family (a start
   * restores 100k-1M of them: daemon/kernel-first.ts packs them in one pass); `dynamic`
   * then holds only the others, none of them the same address. The kernel gets the same
   * as from DynamicBlock entries.
   */
  packedDynamic?: Record<4 | 6, PackedHosts>;
}

/** A desired state's lists (initInSteps gives them before the running blocks): with the feeds, what shapes the chains. */
export type FirewallLists = Pick<
  FirewallState,
  'allow' | 'deny' | 'countries' | 'parsed' | 'columns' | 'feeds'
>;

/**
 * Single addresses side by side as the kernel takes them (4 or 16 bytes each, network
 * order) and each one's timeout in ms (0: none); one address once.
 */
export interface PackedHosts {
  keys: Uint8Array;
  timeoutsMs: Float64Array;
}

export interface DropCount {
  packets: number;
  bytes: number;
}

/** Packets sipprot dropped, by cause, since the last `init`. */
export interface FirewallCounters {
  deny: DropCount;
  dynamic: DropCount;
  country: DropCount;
  tftp: DropCount;
  dns: DropCount;
  /** Shared blocklists (feeds). */
  feed: DropCount;
}

export interface Firewall {
  /** Can this firewall work here (tool present, rights)? Throws a SipprotError saying what to fix. */
  check(): Promise<void>;
  /** Make the kernel match `desired` in one atomic step (no moment without rules). */
  init(desired: FirewallState): Promise<void>;
  /**
   * init from parts read one after the other (a start: daemon/kernel-first.ts): the
   * options, then `lists()` (the lists, the countries, the feeds), then `held()` (the
   * running blocks; its lists and feeds empty). An adapter may load each part while the
   * next is read; `held` may hand single IPv4 blocks to `early` as it reads them (for the
   * kernel at once) and resolves with the whole state all the same, those included. The
   * kernel ends as after init({ ...held, ...lists, options }); absent, callers do exactly that.
   */
  initInSteps?(
    options: FirewallOptions,
    held: (early?: (v4: PackedHosts) => void) => Promise<FirewallState>,
    lists: () => Promise<FirewallLists>,
  ): Promise<void>;
  /**
   * Block one address; blocking again replaces the timeout. null = no timeout. `fresh`: the
   * caller holds no running block of it (a new block, not a renewal), so an adapter may try a
   * faster path first — and must still end with this timeout when the kernel has it anyway.
   */
  block(ip: string, timeoutSeconds: number | null, fresh?: boolean): Promise<void>;
  /** Lift a dynamic block; unblocking an address that is not blocked is not an error. */
  unblock(ip: string): Promise<void>;
  /** Replace the whole allow or deny list. */
  setList(name: 'allow' | 'deny', networks: string[]): Promise<void>;
  /** Replace the networks of the blocked countries. */
  setCountries(networks: string[]): Promise<void>;
  /** Replace every feed network (timeouts in seconds); allow still beats them. */
  setFeeds(feeds: FeedBlock[]): Promise<void>;
  setOptions(options: FirewallOptions): Promise<void>;
  /** What the kernel holds now (blocks that expired are gone). */
  snapshot(): Promise<FirewallState>;
  counters(): Promise<FirewallCounters>;
  /** Remove everything sipprot put in the kernel, and nothing else. */
  shutdown(): Promise<void>;
  /**
   * Ends the adapter's helper processes and sockets and leaves the kernel exactly as it
   * is (a start that failed half-way keeps the table it found; issue 10 item 9).
   */
  close?(): Promise<void>;
}

export const DEFAULT_FIREWALL_OPTIONS: FirewallOptions = {
  tftp: { enabled: true, rate: { count: 10, per: 'minute' }, burst: 100 },
  dns: true,
};

export function emptyFirewallState(options: FirewallOptions = DEFAULT_FIREWALL_OPTIONS): FirewallState {
  return { allow: [], deny: [], countries: [], dynamic: [], feeds: [], options };
}
