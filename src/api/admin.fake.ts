/**
 * The fake Admin of the API tests and the browser tests (test/web): lists in maps, blocks
 * and history on a FakeStore, and the real lock-out guard (core/lists/lockout.ts), the real
 * CSV parser and the real history queries (admin/admin-history.ts) over them, so what the
 * API answers for a refused or applied change is what LocalAdmin would decide. Every call
 * is recorded in `calls` for the tests that check who asked (requester, force, actor).
 * The rest of ApiDeps: deps.fake.ts; the whole wired together: world.testkit.ts.
 */
import { actorOf, historyPage, listEvents, recentOf } from '../admin/admin-history.js';
import { AlertBoard } from '../admin/alert-board.js';
import { SipprotError } from '../core/errors.js';
import { eventOfLocalUnblock, type NewHistoryEvent } from '../core/history/events.js';
import { parseCsv, toCsv } from '../core/lists/list-csv.js';
import { type GuardedChange, guardChange, LOOPBACK } from '../core/lists/lockout.js';
import { type Address, checkNetwork, networkContains, parseAddress, parseNetwork } from '../core/net/ip.js';
import { aDecision } from '../core/records.testkit.js';
import type { Decision, ListEntry, ListName } from '../core/types.js';
import type {
  Admin,
  ChangeOptions,
  ChangeResult,
  CheckResult,
  DynamicBlock,
  HistoryAnswer,
  HistoryRequest,
  ImportResult,
  LiveStats,
  OpenAlert,
  Protection,
  RemoveResult,
  StatusReport,
} from '../ports/admin.js';
import { dynamicBlock } from '../ports/admin.js';
import type { FakeStore } from '../store/store.fake.js';
import type { LiveEvent } from './types.js';

/**
 * A running daemon's live part with every source off (no capture, no HEP, no nft drops,
 * no loop-lag sampler yet) but the parts given: the one default of this fake and of the
 * CLI's status tests (cli/status.testkit.ts).
 */
export function liveWith(parts: Partial<LiveStats> = {}): LiveStats {
  return {
    capture: null,
    hepReceived: null,
    hepErrors: null,
    sipMessages: 0,
    drops: null,
    loopLag: null,
    ...parts,
  };
}

/** What the fake's decisions leave unknown (the real policy copies them from the block). */
export const UNSEEN = { userAgent: null, users: [], attempts: 0, country: null } satisfies Partial<Decision>;

export class FakeAdmin implements Admin {
  readonly lists: Record<ListName, Map<string, string>> = { allow: new Map(), deny: new Map() };
  /** Address → country, for check() and country-lockout tests. */
  readonly countries = new Map<string, string>();
  blockedCountries: string[] = [];
  readonly calls: Array<{ method: string; requester?: string | null; force?: boolean; actor?: string }> = [];
  /** OBSERVE as status reports it (a test sets it). */
  observe: string[] = [];
  /** The daemon's protection as status reports it; null: no live part (a test sets it). */
  protection: Protection | null = null;

  /** The open alerts, on the fake store; every change tells the live view, as the daemon's does. */
  readonly board: AlertBoard;

  constructor(
    private readonly store: FakeStore,
    private readonly clock: () => number,
    private readonly events: { emit(e: LiveEvent): void },
  ) {
    this.board = new AlertBoard(store, undefined, () => events.emit({ type: 'alerts' }));
  }

  alerts(): Promise<OpenAlert[]> {
    return this.board.list();
  }

  async acknowledgeAlerts(ids: number[] | 'all', opts?: ChangeOptions): Promise<{ acknowledged: number[] }> {
    this.calls.push({ method: 'acknowledgeAlerts', actor: actorOf(opts) });
    const gone = await this.board.acknowledge(ids, actorOf(opts), this.clock());
    return { acknowledged: gone.map((a) => a.id) };
  }

  async status(): Promise<StatusReport> {
    const c = await this.store.blockCounts(this.clock());
    return {
      counts: {
        allow: this.lists.allow.size,
        deny: this.lists.deny.size,
        dynamicPermanent: c.permanent,
        dynamicTemporary: c.temporary,
      },
      daemon: { running: true, pid: 4242, startedAt: this.clock() - 3600 },
      countries: { blocked: this.blockedCountries, ranges: 0, database: 'test' },
      mail: { configured: false, message: 'no SMTP_HOST set: no mail is sent' },
      configSource: '/etc/sipprot/sipprot.conf',
      cluster: null,
      alerts: await this.board.list(),
      observe: [...this.observe],
      ...(this.protection ? { live: liveWith({ protection: this.protection }) } : {}),
    };
  }

  private covering(name: ListName, ip: string): ListEntry | null {
    const addr = parseAddress(ip);
    if (!addr) return null;
    for (const [network, note] of this.lists[name]) {
      const net = parseNetwork(network);
      if (net && networkContains(net, addr)) return { network, note };
    }
    return null;
  }

  async check(ip: string): Promise<CheckResult> {
    const addr = parseAddress(ip);
    if (!addr) throw new SipprotError('SP_ERR_ADDRESS_INVALID', `'${ip}' is not an IP address`);
    const allow = this.covering('allow', addr.text);
    const deny = this.covering('deny', addr.text);
    const rec = await this.store.getBlock(addr.text);
    const dynamic = rec ? dynamicBlock(rec, this.clock()) : null;
    const country = this.countries.get(addr.text) ?? null;
    const countryBlocked = country !== null && this.blockedCountries.includes(country);
    const blocked = !allow && (deny !== null || dynamic !== null || countryBlocked);
    const recent = await recentOf(this.store, addr.text);
    return {
      ip: addr.text,
      blocked,
      allow,
      deny,
      dynamic,
      country,
      countryBlocked,
      feeds: [],
      explanation: [],
      recent,
    };
  }

  async listEntries(name: ListName): Promise<ListEntry[]> {
    return [...this.lists[name]].map(([network, note]) => ({ network, note }));
  }

  /** The one lock-out guard (core/lists/lockout.ts), on this fake's maps: what LocalAdmin runs. */
  private async guard(change: GuardedChange, opts?: ChangeOptions): Promise<void> {
    const requester = opts?.requester ? [{ ip: opts.requester, why: 'you are connected from it' }] : [];
    const protect = [...requester, ...LOOPBACK];
    const dynamic = new Set<string>();
    for (const p of protect) if (await this.store.getBlock(p.ip)) dynamic.add(p.ip);
    const all = (name: ListName, ip: Address) =>
      [...this.lists[name]]
        .filter(([n]) => {
          const net = parseNetwork(n);
          return net !== null && networkContains(net, ip);
        })
        .map(([network, note]) => ({ network, note }));
    guardChange(
      change,
      protect,
      {
        allowCovering: (ip) => all('allow', ip),
        denyOf: (ip) => all('deny', ip)[0] ?? null,
        country: (ip) => this.countries.get(ip) ?? null,
        blockedCountries: this.blockedCountries,
        dynamic: (ip) => dynamic.has(ip),
      },
      opts?.force === true,
    );
  }

  async guardCountries(countries: readonly string[], opts?: ChangeOptions): Promise<void> {
    await this.guard({ kind: 'countries', countries }, opts);
  }

  async addEntries(name: ListName, entries: ListEntry[], opts?: ChangeOptions): Promise<ChangeResult> {
    this.calls.push({
      method: 'addEntries',
      requester: opts?.requester ?? null,
      force: opts?.force === true,
    });
    if (name === 'deny')
      await this.guard({ kind: 'deny-add', networks: entries.map((e) => e.network) }, opts);
    const clean = entries.map((e) => {
      const r = checkNetwork(e.network);
      if (!r.ok) throw new SipprotError('SP_ERR_ADDRESS_INVALID', r.reason);
      return { network: r.network.text, note: e.note };
    });
    const out: ChangeResult = { added: [], updated: [] };
    for (const e of clean) {
      (this.lists[name].has(e.network) ? out.updated : out.added).push(e);
      this.lists[name].set(e.network, e.note);
    }
    await this.record(listEvents(name, 'add', clean, this.clock(), actorOf(opts)));
    return out;
  }

  async removeEntries(name: ListName, networks: string[], opts?: ChangeOptions): Promise<RemoveResult> {
    this.calls.push({
      method: 'removeEntries',
      requester: opts?.requester ?? null,
      force: opts?.force === true,
    });
    if (name === 'allow') await this.guard({ kind: 'allow-remove', networks }, opts);
    const out: RemoveResult = { removed: [], missing: [] };
    for (const n of networks) {
      const key = parseNetwork(n)?.text ?? n;
      if (this.lists[name].delete(key)) out.removed.push(key);
      else out.missing.push(n);
    }
    await this.record(listEvents(name, 'remove', out.removed, this.clock(), actorOf(opts)));
    return out;
  }

  async removeAll(name: ListName, opts?: ChangeOptions): Promise<RemoveResult> {
    this.calls.push({ method: 'removeAll', requester: opts?.requester ?? null, force: opts?.force === true });
    if (name === 'allow') await this.guard({ kind: 'allow-remove', networks: null }, opts);
    const removed = [...this.lists[name].keys()];
    this.lists[name].clear();
    await this.record(listEvents(name, 'remove', removed, this.clock(), actorOf(opts)));
    return { removed, missing: [] };
  }

  async importCsv(
    name: ListName,
    csv: string,
    opts: { skipInvalid: boolean } & ChangeOptions,
  ): Promise<ImportResult> {
    const { entries, errors } = parseCsv(csv);
    if (errors.length > 0 && !opts.skipInvalid) return { added: [], updated: [], errors, applied: false };
    return { ...(await this.addEntries(name, entries, opts)), errors, applied: true };
  }

  async exportCsv(name: ListName): Promise<string> {
    return toCsv(await this.listEntries(name));
  }

  async history(q: HistoryRequest): Promise<HistoryAnswer> {
    return historyPage(this.store, q);
  }

  private async record(events: NewHistoryEvent[]): Promise<void> {
    if (events.length > 0) await this.store.recordHistory(events);
  }

  /** Feed entries a test puts here (what a FeedManager would hold). */
  feeds: Array<{ feed: string; network: string; since: number; expiresAt: number }> = [];

  async feedEntries() {
    return this.feeds.filter((f) => f.expiresAt > this.clock());
  }

  async dynamicBlocks(): Promise<DynamicBlock[]> {
    const now = this.clock();
    return (await this.store.listBlocks({ activeAt: now })).map((b) => dynamicBlock(b, now));
  }

  async unblock(ip: string, opts?: ChangeOptions): Promise<{ ip: string; wasBlocked: boolean }> {
    this.calls.push({ method: 'unblock', requester: null, force: false, actor: actorOf(opts) });
    const addr = parseAddress(ip);
    if (!addr) throw new SipprotError('SP_ERR_ADDRESS_INVALID', `'${ip}' is not an IP address`);
    const wasBlocked = await this.store.deleteBlock(addr.text);
    if (wasBlocked) await this.record([eventOfLocalUnblock(addr.text, this.clock(), actorOf(opts))]);
    if (wasBlocked)
      this.events.emit({
        type: 'decision',
        decision: aDecision(addr.text, this.clock(), {
          ...UNSEEN,
          action: 'unblock',
          reason: 'manual',
          expiresAt: null,
        }),
      });
    return { ip: addr.text, wasBlocked };
  }
}
