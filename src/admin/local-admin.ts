/**
 * The admin use cases (the Admin port) on the list files and the store: status, check,
 * list changes (with the lock-out guard: never deny the admin's own address or loopback),
 * dynamic blocks, unblock. The daemon serves it with live hooks, so every change reaches
 * the kernel and the policy at once; the CLI uses it directly when no daemon runs.
 */
import { SipprotError } from '../core/errors.js';
import { eventOfLocalUnblock } from '../core/history/events.js';
import { hugeEntry } from '../core/lists/entries.js';
import { parseCsv } from '../core/lists/list-csv.js';
import { AccessLists } from '../core/lists/lists.js';
import {
  findLockouts,
  type GuardedChange,
  type GuardFacts,
  guardChange,
  LOOPBACK,
  type Lockout,
  type Protected,
} from '../core/lists/lockout.js';
import { type Address, networkContains, parseAddress, parseNetwork } from '../core/net/ip.js';
import type { BlockRecord, Config, ListEntry, ListName } from '../core/types.js';
import {
  type Admin,
  type ChangeOptions,
  type ChangeResult,
  type CheckResult,
  type ClusterSummary,
  type DynamicBlock,
  dynamicBlock,
  type HistoryAnswer,
  type HistoryRequest,
  type ImportResult,
  type LiveStats,
  type OpenAlert,
  type Protection,
  type RemoveResult,
  type StatusReport,
} from '../ports/admin.js';
import type { FeedMatch, FeedsView } from '../ports/feeds.js';
import type { ListStorage } from '../ports/lists.js';
import type { Store } from '../ports/store.js';
import { actorOf, historyPage, listEvents, recentOf } from './admin-history.js';
import { AlertBoard } from './alert-board.js';
import { explainCheck } from './check-explain.js';
import { countryWarnings } from './country-review.js';

/** Present when the daemon runs: changes reach the kernel and the policy at once. */
export interface LiveHooks {
  listsChanged(name: ListName): Promise<void>;
  /** Lifts the block through the policy (one decision path); false if it was not blocked. */
  unblock(ip: string, actor: string): Promise<boolean>;
  daemon(): { pid: number; startedAt: number };
  stats(): Promise<LiveStats>;
  /** Cluster mode: this host's id, Redis state and outbox; null on a single host. */
  cluster?(): ClusterSummary | null;
  /** Whether the kernel holds sipprot's rules and the store took every decision (issue 10). */
  protection?(): Protection;
  /** The daemon's open alerts (every change through it tells the live view). */
  alerts?: AlertBoard;
}

export interface GeoInfo {
  country(ip: string): string | null;
  /** Every country with addresses in the network (the country guard's LAN and neighbour warnings). */
  countriesIn?(network: string): string[];
  countries(): { blocked: string[]; ranges: number; database: string | null };
}

export interface LocalAdminDeps {
  config: Config;
  lists: ListStorage;
  store: Store;
  geo: GeoInfo | null;
  mailStatus: () => { configured: boolean; message: string };
  clock: () => number;
  live?: LiveHooks;
  /** Asked when the daemon is not running, to show its state (PID file). */
  daemonPid?: () => number | null;
  /** Who a change is by when the caller does not say (history); default `cli`. */
  actor?: string;
  /**
   * The lists as already loaded (the daemon's, kept current on every change), so status
   * and check do not re-read and re-parse both files per request; absent: read the files.
   */
  access?: () => AccessLists;
  /**
   * Addresses the lock-out guard keeps reachable besides loopback and the requester: the
   * host's own addresses, resolvers, gateways, SSH and web admin peers (platform/host-facts.ts).
   */
  protect?: () => Protected[];
  /** The host's LANs, for the country guard's warnings. */
  lans?: () => Array<{ network: string; iface: string }>;
  /** The shared blocklists (FEEDS_FILE): which feed holds an address; null/absent = none. */
  feeds?: () => FeedsView | null;
}

/**
 * The Admin interface on local files and store. The daemon serves it (with live hooks)
 * to the CLI and web UI; the CLI uses it directly when the daemon does not run, and the
 * daemon applies those changes at its next start.
 */
export class LocalAdmin implements Admin {
  constructor(private readonly d: LocalAdminDeps) {}

  async status(): Promise<StatusReport> {
    const now = this.d.clock();
    const access = this.accessLists();
    const blocks = await this.d.store.blockCounts(now);
    const live = this.d.live?.daemon();
    const pid = live?.pid ?? this.d.daemonPid?.() ?? null;
    const geo = this.d.geo?.countries();
    return {
      counts: {
        allow: access.allowSize,
        deny: access.denySize,
        dynamicPermanent: blocks.permanent,
        dynamicTemporary: blocks.temporary,
      },
      daemon: { running: pid !== null, pid, startedAt: live?.startedAt ?? null },
      countries: geo ?? { blocked: this.d.config.blockedCountries, ranges: 0, database: null },
      mail: this.d.mailStatus(),
      configSource: this.d.config.source,
      cluster: this.d.live?.cluster?.() ?? null,
      observe: [...this.d.config.detection.observe],
      alerts: await this.board().list(),
      ...(this.d.live ? { live: await this.d.live.stats() } : {}),
    };
  }

  async check(ip: string): Promise<CheckResult> {
    const addr = parseAddress(ip.trim());
    const net = addr === null && ip.includes('/') ? parseNetwork(ip.trim()) : null;
    if (net) return this.checkNetwork(net.text);
    if (!addr) throw new SipprotError('SP_ERR_ADDRESS_INVALID', `"${ip}" is not an IPv4 or IPv6 address`);
    const access = this.accessLists().check(addr);
    const now = this.d.clock();
    const block = (await this.d.store.getBlock(addr.text)) ?? (await this.networkBlockOf(addr, now));
    const dynamic =
      block && (block.expiresAt === null || block.expiresAt > now) ? dynamicBlock(block, now) : null;
    const country = this.d.geo?.country(addr.text) ?? null;
    const countryBlocked = country !== null && this.d.config.blockedCountries.includes(country);
    const feeds = this.d.feeds?.()?.lookup(addr.text) ?? [];
    const explanation = explainCheck({
      allow: access.allow,
      deny: access.deny,
      dynamic,
      feeds,
      country,
      countryBlocked,
      protection: this.d.live?.protection?.(),
      now,
    });
    const dropped = Boolean(access.deny) || dynamic !== null || feeds.length > 0 || countryBlocked;
    const blocked = !access.allow && dropped;
    const recent = await recentOf(this.d.store, addr.text);
    return {
      ip: addr.text,
      blocked,
      allow: access.allow ?? null,
      deny: access.deny ?? null,
      dynamic,
      country,
      countryBlocked,
      feeds,
      explanation,
      recent,
    };
  }

  async feedEntries(): Promise<FeedMatch[]> {
    return this.d.feeds?.()?.entries() ?? [];
  }

  async listEntries(name: ListName): Promise<ListEntry[]> {
    return this.d.lists.read(name);
  }

  async addEntries(name: ListName, entries: ListEntry[], opts?: ChangeOptions): Promise<ChangeResult> {
    const networks = entries.map((e) => e.network);
    refuseHuge(networks, opts);
    if (name === 'deny') await this.guard({ kind: 'deny-add', networks }, opts);
    const r = await this.d.lists.add(name, entries);
    await this.recordList(name, 'add', [...r.added, ...r.updated], opts);
    await this.d.live?.listsChanged(name);
    return r;
  }

  async removeEntries(name: ListName, networks: string[], opts?: ChangeOptions): Promise<RemoveResult> {
    if (name === 'allow') await this.guard({ kind: 'allow-remove', networks }, opts);
    const r = await this.d.lists.remove(name, networks);
    await this.recordList(name, 'remove', r.removed, opts);
    if (r.removed.length > 0) await this.d.live?.listsChanged(name);
    return r;
  }

  async removeAll(name: ListName, opts?: ChangeOptions): Promise<RemoveResult> {
    if (name === 'allow') await this.guard({ kind: 'allow-remove', networks: null }, opts);
    const r = await this.d.lists.removeAll(name);
    await this.recordList(name, 'remove', r.removed, opts);
    if (r.removed.length > 0) await this.d.live?.listsChanged(name);
    return r;
  }

  async importCsv(
    name: ListName,
    csv: string,
    opts: { skipInvalid: boolean } & ChangeOptions,
  ): Promise<ImportResult> {
    const networks = parseCsv(csv).entries.map((e) => e.network);
    refuseHuge(networks, opts);
    if (name === 'deny') await this.guard({ kind: 'deny-add', networks }, opts);
    const r = await this.d.lists.importCsv(name, csv, { skipInvalid: opts.skipInvalid });
    if (r.applied) await this.recordList(name, 'add', [...r.added, ...r.updated], opts);
    if (r.applied && r.added.length + r.updated.length > 0) await this.d.live?.listsChanged(name);
    return r;
  }

  /**
   * Before BLOCKED_COUNTRIES changes (settings from the UI, API or socket): refuses with
   * SP_ERR_LOCKOUT when the new countries would cut off a protected address, unless
   * forced. The warnings (LANs, allow entries' neighbours) come from reviewCountries.
   */
  async guardCountries(countries: readonly string[], opts?: ChangeOptions): Promise<void> {
    await this.guard({ kind: 'countries', countries }, opts);
  }

  /** Countries in a config file (start, reload): nothing can be refused, everything is said. */
  async reviewCountries(countries: readonly string[], previous: readonly string[]): Promise<string[]> {
    const added = countries.filter((c) => !previous.includes(c));
    if (added.length === 0) return [];
    const protect = this.protected();
    const facts = { ...(await this.guardFacts(protect)), blockedCountries: previous };
    const cut = findLockouts({ kind: 'countries', countries }, protect, facts).map(
      (l) => `${l.cause} would cut off ${l.ip} (${l.why})`,
    );
    return [...cut, ...this.countryWarnings(countries, previous)];
  }

  private countryWarnings(countries: readonly string[], previous: readonly string[]): string[] {
    return countryWarnings({
      added: countries.filter((c) => !previous.includes(c)),
      lans: this.d.lans?.() ?? [],
      allow: this.accessLists().allowEntries(),
      geo: this.d.geo,
    });
  }

  /** The protected addresses a change would cut off (for warnings: config reload, start). */
  async lockouts(change: GuardedChange, opts?: ChangeOptions): Promise<Lockout[]> {
    const protect = this.protected(opts);
    return findLockouts(change, protect, await this.guardFacts(protect));
  }

  async exportCsv(name: ListName): Promise<string> {
    return this.d.lists.exportCsv(name);
  }

  async dynamicBlocks(): Promise<DynamicBlock[]> {
    const now = this.d.clock();
    const blocks = await this.d.store.listBlocks({ activeAt: now });
    return blocks.map((b) => dynamicBlock(b, now));
  }

  async unblock(ip: string, opts?: ChangeOptions): Promise<{ ip: string; wasBlocked: boolean }> {
    // A network is blocked whole by PREFIX_BLOCK: its block record is lifted by the network's text.
    const addr = parseAddress(ip.trim()) ?? (ip.includes('/') ? parseNetwork(ip.trim()) : null);
    if (!addr) throw new SipprotError('SP_ERR_ADDRESS_INVALID', `"${ip}" is not an IPv4 or IPv6 address`);
    const actor = actorOf(opts, this.d.actor);
    if (this.d.live) return { ip: addr.text, wasBlocked: await this.d.live.unblock(addr.text, actor) };
    const wasBlocked = await this.d.store.deleteBlock(addr.text);
    if (wasBlocked) await this.d.store.recordHistory([eventOfLocalUnblock(addr.text, this.d.clock(), actor)]);
    return { ip: addr.text, wasBlocked };
  }

  /** A network blocked whole (PREFIX_BLOCK), as the dynamic list's row of it asks `check`. */
  private async checkNetwork(network: string): Promise<CheckResult> {
    const now = this.d.clock();
    const b = await this.d.store.getBlock(network);
    const dynamic = b && (b.expiresAt === null || b.expiresAt > now) ? dynamicBlock(b, now) : null;
    const explanation = dynamic
      ? [`network blocked whole (PREFIX_BLOCK): ${dynamic.note ?? network}`]
      : [`${network} is not blocked as a network`];
    const recent = await recentOf(this.d.store, network);
    const none = { allow: null, deny: null, country: null, countryBlocked: false, feeds: [] };
    return { ip: network, blocked: dynamic !== null, dynamic, ...none, explanation, recent };
  }

  /**
   * PREFIX_BLOCK: the block of a network holding `addr` (the kernel drops every address of
   * it, one never seen included), so `check` does not answer "not blocked" for one of them.
   * Only with PREFIX_BLOCK on; a scan of the blocks in force, on a question, never on packets.
   */
  private async networkBlockOf(addr: Address, now: number): Promise<BlockRecord | null> {
    if ((this.d.config.detection.prefixBlock ?? 0) === 0) return null;
    for (const b of await this.d.store.listBlocks({ activeAt: now })) {
      const net = b.ip.includes('/') ? parseNetwork(b.ip) : null;
      if (net && networkContains(net, addr)) return b;
    }
    return null;
  }

  async history(q: HistoryRequest): Promise<HistoryAnswer> {
    return historyPage(this.d.store, q);
  }

  async alerts(): Promise<OpenAlert[]> {
    return this.board().list();
  }

  async acknowledgeAlerts(ids: number[] | 'all', opts?: ChangeOptions): Promise<{ acknowledged: number[] }> {
    const gone = await this.board().acknowledge(ids, actorOf(opts, this.d.actor), this.d.clock());
    return { acknowledged: gone.map((a) => a.id) };
  }

  /**
   * The daemon's board when it runs; without it, one read fresh from the store per call (a
   * daemon or another command may have changed it since).
   */
  private board(): AlertBoard {
    return this.d.live?.alerts ?? new AlertBoard(this.d.store);
  }

  /** The history of a list change: one event per entry, with who made it. */
  private async recordList(
    name: ListName,
    change: 'add' | 'remove',
    entries: ReadonlyArray<ListEntry | string>,
    opts: ChangeOptions | undefined,
  ): Promise<void> {
    if (entries.length === 0) return;
    await this.d.store.recordHistory(
      listEvents(name, change, entries, this.d.clock(), actorOf(opts, this.d.actor)),
    );
  }

  private accessLists(): AccessLists {
    return this.d.access?.() ?? new AccessLists(this.d.lists.read('allow'), this.d.lists.read('deny'));
  }

  /** The one lock-out guard (core/lists/lockout.ts) on this host's facts. */
  private async guard(change: GuardedChange, opts?: ChangeOptions): Promise<void> {
    if (opts?.force) return;
    const protect = this.protected(opts);
    guardChange(change, protect, await this.guardFacts(protect));
  }

  private protected(opts?: ChangeOptions): Protected[] {
    const requester = opts?.requester ? parseAddress(opts.requester) : null;
    return [
      ...(requester ? [{ ip: requester.text, why: 'you are connected from it' }] : []),
      ...LOOPBACK,
      ...(this.d.protect?.() ?? []),
    ];
  }

  private async guardFacts(protect: readonly Protected[]): Promise<GuardFacts> {
    const access = this.accessLists();
    const allow = access.allowEntries().map((e) => ({ e, net: parseNetwork(e.network) }));
    const now = this.d.clock();
    const dynamic = new Set<string>();
    for (const p of protect) {
      const b = await this.d.store.getBlock(p.ip);
      if (b && (b.expiresAt === null || b.expiresAt > now)) dynamic.add(p.ip);
    }
    return {
      allowCovering: (ip: Address) =>
        allow.filter((a) => a.net !== null && networkContains(a.net, ip)).map((a) => a.e),
      denyOf: (ip: Address) => access.check(ip).deny ?? null,
      country: (ip) => this.d.geo?.country(ip) ?? null,
      blockedCountries: this.d.config.blockedCountries,
      dynamic: (ip) => dynamic.has(ip),
    };
  }
}

/** Near-total ranges (entries.ts) need force: one typo should not drop half the internet. */
function refuseHuge(networks: readonly string[], opts?: ChangeOptions): void {
  if (opts?.force) return;
  const huge = networks
    .map((n) => parseNetwork(n))
    .map((n) => (n ? hugeEntry(n) : null))
    .filter((w): w is string => w !== null);
  if (huge.length > 0) throw new SipprotError('SP_ERR_CONFIRM', huge.join('; '), { details: { huge } });
}
