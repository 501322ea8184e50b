/**
 * Reconcile: the store is the truth, the kernel is made to match it.
 *
 * `desiredState` turns what the store and config hold into a FirewallState;
 * `ReconcilingFirewall` wraps any Firewall so that a failed change (SP_ERR_FIREWALL:
 * nft refused, the table was deleted behind our back, nft died) is answered by one
 * full `init` from the store, which already holds that change because the daemon
 * writes the store first. Callers then see success; only a failing reconcile throws.
 */
import { isSipprotError } from '../core/errors.js';
import type { Network } from '../core/net/ip.js';
import type { BlockRecord, Config } from '../core/types.js';
import type {
  DynamicBlock,
  FeedBlock,
  Firewall,
  FirewallCounters,
  FirewallOptions,
  FirewallState,
} from '../ports/firewall.js';
import type { Logger } from '../ports/logger.js';

/** The firewall's options from the config (TFTP_*, DNS_PROTECTION). */
export function firewallOptions(config: Pick<Config, 'tftp' | 'dnsProtection'>): FirewallOptions {
  return {
    tftp: {
      enabled: config.tftp.enabled,
      rate: { count: config.tftp.rate.count, per: config.tftp.rate.per },
      burst: config.tftp.burst,
    },
    dns: config.dnsProtection,
  };
}

/**
 * Dynamic blocks still running at `now` (epoch seconds). A block that became permanent
 * (expiresAt null) stays without timeout; the deny list holds it too.
 */
export function dynamicBlocks(
  blocks: Iterable<Pick<BlockRecord, 'ip' | 'expiresAt'>>,
  now: number,
  /** Seconds added to every expiry first (the kernel's slack), in one pass: no copy per block. */
  slack = 0,
): DynamicBlock[] {
  const out: DynamicBlock[] = [];
  for (const b of blocks) {
    if (b.expiresAt === null) {
      out.push({ ip: b.ip, expiresIn: null });
      continue;
    }
    const at = slack === 0 ? b.expiresAt : b.expiresAt + slack;
    if (at > now) out.push({ ip: b.ip, expiresIn: at - now });
  }
  return out;
}

interface DesiredInput {
  allow: Iterable<{ network: string }>;
  deny: Iterable<{ network: string }>;
  /** The lists as parsed networks, when the caller holds them (then `allow`/`deny` are not read). */
  parsed?: { allow: readonly Network[]; deny: readonly Network[] };
  /** Networks of the blocked countries (from the geo table). */
  countries: string[];
  blocks: Iterable<Pick<BlockRecord, 'ip' | 'expiresAt'>>;
  /** Seconds added to each block's expiry (default 0). */
  slack?: number;
  /** Shared blocklists' networks with their seconds left (core/feeds kernelFeeds). */
  feeds?: FeedBlock[];
  config: Pick<Config, 'tftp' | 'dnsProtection'>;
  now: number;
}

export function desiredState(i: DesiredInput): FirewallState {
  const p = i.parsed;
  return {
    allow: p ? p.allow.map((n) => n.text) : [...i.allow].map((e) => e.network),
    deny: p ? p.deny.map((n) => n.text) : [...i.deny].map((e) => e.network),
    ...(p ? { parsed: p } : {}),
    countries: i.countries,
    dynamic: dynamicBlocks(i.blocks, i.now, i.slack),
    feeds: i.feeds ?? [],
    options: firewallOptions(i.config),
  };
}

export class ReconcilingFirewall implements Firewall {
  private inFlight: Promise<void> | null = null;
  /** Set by shutdown: the table is being removed, a refused change must not load it again. */
  private down = false;
  /** Reconciles done after a failure; for status and metrics. */
  reconciles = 0;
  /** Changes the kernel refused (SP_ERR_FIREWALL), each answered by a reconcile; for metrics. */
  refused = 0;

  constructor(
    private readonly inner: Firewall,
    /** Reads the truth (store, lists, config, geo) at the moment of the reconcile. */
    private readonly desired: () => Promise<FirewallState>,
    private readonly log?: Logger,
  ) {}

  check(): Promise<void> {
    return this.inner.check();
  }

  init(desired: FirewallState): Promise<void> {
    return this.inner.init(desired);
  }

  /** Make the kernel match the store now; concurrent callers share one reconcile (none once shut down). */
  reconcile(): Promise<void> {
    if (this.down) return this.inFlight ?? Promise.resolve();
    if (!this.inFlight) {
      this.inFlight = (async () => {
        try {
          await this.inner.init(await this.desired());
          this.reconciles++;
        } finally {
          this.inFlight = null;
        }
      })();
    }
    return this.inFlight;
  }

  block(ip: string, timeoutSeconds: number | null, fresh?: boolean): Promise<void> {
    return this.healing('block', () => this.inner.block(ip, timeoutSeconds, fresh));
  }

  unblock(ip: string): Promise<void> {
    return this.healing('unblock', () => this.inner.unblock(ip));
  }

  setList(name: 'allow' | 'deny', networks: string[]): Promise<void> {
    return this.healing('setList', () => this.inner.setList(name, networks));
  }

  setCountries(networks: string[]): Promise<void> {
    return this.healing('setCountries', () => this.inner.setCountries(networks));
  }

  setOptions(options: FirewallOptions): Promise<void> {
    return this.healing('setOptions', () => this.inner.setOptions(options));
  }

  setFeeds(feeds: FeedBlock[]): Promise<void> {
    return this.healing('setFeeds', () => this.inner.setFeeds(feeds));
  }

  snapshot(): Promise<FirewallState> {
    return this.inner.snapshot();
  }

  counters(): Promise<FirewallCounters> {
    return this.inner.counters();
  }

  /**
   * Removes the table once any reconcile in flight has loaded its own (a stop while a
   * refused change is being answered: the load would land after the removal and leave the
   * table behind); no reconcile starts after this.
   */
  async shutdown(): Promise<void> {
    this.down = true;
    await this.inFlight?.catch(() => undefined);
    return this.inner.shutdown();
  }

  async close(): Promise<void> {
    await this.inner.close?.();
  }

  private async healing(op: string, change: () => Promise<void>): Promise<void> {
    try {
      await change();
    } catch (e) {
      // Bad input (SP_ERR_ADDRESS_INVALID, ...) is the caller's to fix: no reconcile.
      if (!isSipprotError(e) || e.code !== 'SP_ERR_FIREWALL' || this.down) throw e;
      this.refused++;
      this.log?.warn({ op, err: e.message }, 'firewall change failed; reconciling from the store');
      try {
        await this.reconcile();
      } catch (again) {
        this.log?.error({ op, err: String(again) }, 'firewall reconcile failed');
        throw again;
      }
    }
  }
}
