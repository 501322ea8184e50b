/**
 * NftablesFirewall: the Firewall port on the `nft` binary. Rendering is in
 * nft-render.ts (pure), process handling in nft-session.ts; this file orders the work.
 *
 * - Every call is validated before it is queued, so bad input changes nothing.
 * - Calls run one at a time in call order. Blocks and unblocks that arrive while
 *   nothing else is queued behind them share one transaction: all made in one tick
 *   (or while the previous write is in flight) go to nft as a single line.
 * - Dynamic blocks go straight to the kernel over netlink (nft-netlink.ts: ~15 µs, no
 *   second process); without the addon, or with a custom nft `command` and no `netns`,
 *   through the long-lived `nft -i`. Everything else (init, lists, options, shutdown)
 *   through `nft -f -`: one atomic transaction in a fresh process, for big scripts that
 *   are rare.
 * - The first init of a process loads a table not yet in the kernel in two steps
 *   (nft-first-load.ts); every later init (reload, reconcile) stays one transaction.
 * - Any nft failure is thrown as SP_ERR_FIREWALL with nft's message; the daemon answers
 *   it with `init(store state)`.
 */
import { SipprotError } from '../core/errors.js';
import type {
  FeedBlock,
  Firewall,
  FirewallCounters,
  FirewallLists,
  FirewallOptions,
  FirewallState,
  PackedHosts,
} from '../ports/firewall.js';
import { DEFAULT_FIREWALL_OPTIONS } from '../ports/firewall.js';
import type { Logger } from '../ports/logger.js';
import { growth, type KnownElements, knownOf, knownOfList } from './list-grow.js';
import { checkNft, hasTable } from './nft-check.js';
import { type FirstLoadDeps, type LoadResult, loadSplit, loadStart, loadWhole } from './nft-first-load.js';
import { dropCounters, elementCount, loadElements, type NftNetlink, openNetlink } from './nft-netlink.js';
import { parseTable } from './nft-parse.js';
import type { DynamicChange, Layout } from './nft-render.js';
import {
  emptyLayout,
  renderDynamicBatch,
  renderFeedReplace,
  renderListReplace,
  renderOptionsReplace,
  renderPrefixChange,
  type SetElements,
  TABLE,
} from './nft-render.js';
import { NftSession, shorten } from './nft-session.js';
import { hostCount } from './packed-hosts.js';
import type { ListSet, PrefixElement, RenderState } from './state.js';
import { checkOptions, parsePrefixBlock, prepareFeeds, prepareState, timeoutMs } from './state.js';
import { parseHost, toRanges } from './validate.js';

interface NftablesFirewallOptions {
  /** argv that runs nft; default ['nft']. Tests: ['ip', 'netns', 'exec', ns, 'nft']. */
  command?: string[];
  logger?: Logger;
  /** Per-command time limit for the long-lived nft (default 30 s). */
  timeoutMs?: number;
  /**
   * The network namespace (/run/netns/NAME) of the netlink path. Without it, netlink is
   * used only with the default `command` (nft in our own namespace).
   */
  netns?: string;
  /** Replaces the netlink path (tests: one that fails half-way through a load). */
  netlink?: NftNetlink | null;
}

interface Waiter {
  resolve: () => void;
  reject: (e: unknown) => void;
}

interface DynBatch {
  changes: DynamicChange[];
  waiters: Waiter[];
}

export class NftablesFirewall implements Firewall {
  private readonly session: NftSession;
  private readonly log: Logger | undefined;
  private tail: Promise<unknown> = Promise.resolve();
  /** The dynamic batch still accepting changes (it is the last thing queued). */
  private openBatch: DynBatch | null = null;
  /** Last options applied; the kernel does not hold the TFTP rate while TFTP is off. */
  private options: FirewallOptions = DEFAULT_FIREWALL_OPTIONS;
  /** Which list sets exist in the kernel (see nft-render.ts); set by init, kept by replaces. */
  private layout: Layout = emptyLayout();
  /** Netlink for set elements, or null (the `nft -i` path). */
  private readonly netlink: NftNetlink | null;
  private initialized = false;
  /** Was sipprot's table in the kernel at `check` (null: not asked)? The netns lock is held by then. */
  private tableAtCheck: boolean | null = null;
  /** Each list's elements as this adapter last wrote them; null: not known (list-grow.ts). */
  private known: Record<ListSet, KnownElements | (() => KnownElements) | null> = nothingKnown();

  constructor(opts: NftablesFirewallOptions = {}) {
    this.session = new NftSession({ command: opts.command, timeoutMs: opts.timeoutMs });
    this.log = opts.logger;
    this.netlink =
      opts.netlink !== undefined
        ? opts.netlink
        : opts.netns !== undefined || opts.command === undefined
          ? openNetlink(opts.netns ?? '', opts.logger)
          : null;
  }

  async check(): Promise<void> {
    this.tableAtCheck = await checkNft(this.session);
  }

  // async: validation runs (and throws) before anything is queued, in call order.
  async init(desired: FirewallState): Promise<void> {
    const state = prepareState(desired);
    return this.enqueue(async () => {
      const started = performance.now();
      const first = await this.firstLoad();
      this.loaded(
        state,
        first ? await loadSplit(first, state) : await loadWhole(this.session, state),
        started,
      );
    });
  }

  /**
   * init in steps (a start: daemon/kernel-first.ts; nft-first-load.ts loadStart): the
   * process's first load with no table in the kernel makes the table while `held()` reads
   * the running blocks, inserts them off the event loop while `lists()` reads the list
   * files, then loads the lists; otherwise the whole table in one transaction.
   */
  async initInSteps(
    options: FirewallOptions,
    held: (early?: (v4: PackedHosts) => void) => Promise<FirewallState>,
    lists: () => Promise<FirewallLists>,
  ): Promise<void> {
    const checked = checkOptions(options);
    return this.enqueue(async () => {
      const started = performance.now();
      const r = await loadStart(await this.firstLoad(), this.session, checked, held, lists);
      this.loaded(r.state, r, started);
    });
  }

  /** What a split first load needs, or null: a later load, no netlink, or a table already there (one transaction). */
  private async firstLoad(): Promise<FirstLoadDeps | null> {
    if (!this.netlink || this.initialized || (await this.tableInKernel())) return null;
    return { session: this.session, netlink: this.netlink, log: this.log };
  }

  /**
   * After a load: what the kernel now holds, said. `elements`: a split load's (null: it
   * fell back to nft -f; undefined: one nft -f of the whole table).
   */
  private loaded(state: RenderState, r: LoadResult, started: number): void {
    this.layout = r.layout;
    this.known = nothingKnown();
    const sets = r.elements;
    // Worked out when a list change first needs them (~0.1 s for 1M entries).
    if (sets)
      for (const l of ['allow', 'deny', 'country'] as const) this.known[l] = () => knownOfList(sets, l);
    // After a whole nft -f, an empty list's elements are known (none) without rendering them.
    if (sets === undefined)
      for (const l of ['allow', 'deny', 'country'] as const)
        if (r.layout[l][4].length + r.layout[l][6].length === 0) this.known[l] = new Map();
    this.initialized = true;
    this.options = state.options;
    this.warm();
    this.log?.info(
      {
        allow: state.lists.allow.length,
        deny: state.lists.deny.length,
        countries: state.lists.country.length,
        dynamic: hostCount(state.dynamic[4]) + hostCount(state.dynamic[6]),
        feeds: state.feeds.length,
        ms: Math.round(performance.now() - started),
      },
      'firewall table loaded',
    );
  }

  /**
   * Whether sipprot's table is already in the kernel (a crash or kill -9 left it): the
   * first load then replaces it in one `nft -f` transaction, so every address it drops
   * stays dropped until the new table is in; the split load would empty it first (0.3-0.6 s
   * with 100k blocks, much longer with 1M). `list tables` reads no elements.
   */
  private async tableInKernel(): Promise<boolean> {
    // The check's answer when it came just before (a start: one nft run less, ~20-40 ms).
    const known = this.tableAtCheck;
    this.tableAtCheck = null;
    if (known !== null) return known;
    const r = await this.session.exec(['list', 'tables']);
    return r.code === 0 && hasTable(r.stdout);
  }

  async block(ip: string, timeoutSeconds: number | null, fresh?: boolean): Promise<void> {
    const prefix = parsePrefixBlock(ip, timeoutSeconds);
    if (prefix) return this.prefixChange(prefix, false);
    const host = parseHost(ip);
    const ms = timeoutMs(host.text, timeoutSeconds);
    return this.dynamic(fresh === true ? { host, timeoutMs: ms, fresh } : { host, timeoutMs: ms });
  }

  async unblock(ip: string): Promise<void> {
    const prefix = parsePrefixBlock(ip, null);
    if (prefix) return this.prefixChange(prefix, true);
    return this.dynamic({ host: parseHost(ip), unblock: true });
  }

  /** PREFIX_BLOCK: a whole network in or out of pfx4/pfx6, through nft (rare: not the fast path). */
  private prefixChange(p: PrefixElement, unblock: boolean): Promise<void> {
    return this.enqueue(async () => {
      await this.session.runScript(renderPrefixChange(p, unblock));
      this.log?.info({ network: p.text, unblock }, unblock ? 'network unblocked' : 'network blocked whole');
    });
  }

  async setList(name: 'allow' | 'deny', networks: string[]): Promise<void> {
    if (name !== 'allow' && name !== 'deny') {
      throw new SipprotError('SP_ERR_USAGE', `unknown list '${String(name)}'`);
    }
    return this.replaceList(name, networks);
  }

  async setCountries(networks: string[]): Promise<void> {
    return this.replaceList('country', networks);
  }

  private replaceList(list: ListSet, networks: string[]): Promise<void> {
    const ranges = toRanges(networks);
    return this.enqueue(async () => {
      const r = renderListReplace(list, ranges, this.layout, this.options);
      const next = knownOf(r.elements);
      const had = this.known[list];
      const adds = this.netlink ? growth(typeof had === 'function' ? had() : had, next) : null;
      this.known[list] = null;
      if (this.netlink && adds) await this.grow(this.netlink, r, adds);
      else await this.session.runScript(r.script);
      this.layout = r.layout;
      this.known[list] = next;
      const netlink = adds ? adds.reduce((n, e) => n + elementCount(e), 0) : undefined;
      this.log?.info({ list, ranges: ranges.length, netlink }, 'firewall list replaced');
    });
  }

  /** A list that only grows (list-grow.ts): new sets and chains through nft, new elements over netlink. */
  private async grow(
    netlink: NftNetlink,
    r: { script: string; growScript: string },
    adds: SetElements[],
  ): Promise<void> {
    await this.session.runScript(r.growScript);
    let loaded = 0;
    try {
      for (const e of adds) loaded += loadElements(netlink, e);
    } catch (e) {
      this.log?.error(
        { err: e, loaded },
        `adding a list's elements over netlink failed after ${loaded}: replacing the list in one nft transaction`,
      );
      await this.session.runScript(r.script);
    }
  }

  async setFeeds(feeds: FeedBlock[]): Promise<void> {
    const elements = prepareFeeds(feeds);
    return this.enqueue(async () => {
      const { script, layout } = renderFeedReplace(elements, this.layout, this.options);
      await this.session.runScript(script);
      this.layout = layout;
      this.log?.info({ feeds: elements.length }, 'firewall feed sets replaced');
    });
  }

  async setOptions(options: FirewallOptions): Promise<void> {
    const o = checkOptions(options);
    return this.enqueue(async () => {
      await this.session.runScript(renderOptionsReplace(o, this.layout));
      this.options = o;
      this.log?.info({ options: o }, 'firewall options applied');
    });
  }

  async snapshot(): Promise<FirewallState> {
    return this.enqueue(
      async () => parseTable(await this.list(['list', 'table', ...TABLE.split(' ')]), this.options).state,
    );
  }

  /** Over netlink (one dump of the table's counter objects) when there: nft 1.0.6 reads every set element for `list counters`. */
  async counters(): Promise<FirewallCounters> {
    return this.enqueue(async () =>
      this.netlink
        ? dropCounters(this.netlink.counters())
        : parseTable(await this.list(['list', 'counters', 'table', ...TABLE.split(' ')]), this.options)
            .counters,
    );
  }

  /**
   * Removes sipprot's table (stop, uninstall). Never through the long-lived `nft -i`, which
   * may have died with the daemon's trouble: a fresh `nft -f -` each try, and one more try in
   * a new process when the first failed (killed, a busy kernel), so a stop leaves no rule.
   */
  async shutdown(): Promise<void> {
    const remove = () => this.session.runScript(`table ${TABLE}\ndelete table ${TABLE}\n`);
    return this.enqueue(async () => {
      this.known = nothingKnown();
      try {
        await remove().catch(async (e: unknown) => {
          this.log?.warn({ err: e }, 'removing the nftables table failed; trying once more with a fresh nft');
          await remove();
        });
        this.log?.info({}, 'firewall table removed');
      } finally {
        await this.session.close();
      }
    });
  }

  async close(): Promise<void> {
    return this.enqueue(() => this.session.close());
  }

  private async list(args: string[]): Promise<string> {
    const r = await this.session.exec(['-j', ...args]);
    if (r.code !== 0) {
      throw new SipprotError('SP_ERR_FIREWALL', `nft could not list table ${TABLE}: ${shorten(r.stderr)}`);
    }
    return r.stdout;
  }

  /** Queue a dynamic change, joining the open batch when it is the last thing queued. */
  private dynamic(change: DynamicChange): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.openBatch) {
        this.openBatch.changes.push(change);
        this.openBatch.waiters.push({ resolve, reject });
        return;
      }
      const batch: DynBatch = { changes: [change], waiters: [{ resolve, reject }] };
      this.openBatch = batch;
      this.tail = this.tail
        .then(async () => {
          if (this.openBatch === batch) this.openBatch = null;
          if (this.netlink) this.netlink.dynamic(batch.changes);
          else await this.session.run(renderDynamicBatch(batch.changes));
          this.log?.debug({ changes: batch.changes.length }, 'firewall dynamic batch applied');
          for (const w of batch.waiters) w.resolve();
        })
        .catch((e: unknown) => {
          if (this.openBatch === batch) this.openBatch = null;
          this.log?.error({ err: e, changes: batch.changes.length }, 'firewall dynamic batch failed');
          for (const w of batch.waiters) w.reject(e);
        });
    });
  }

  /**
   * One real transaction through the block path right after a load (an address of
   * TEST-NET-1 added and deleted in one go: the kernel ends as it was), so the first
   * block of an attack does not pay for opening the socket and first-run code.
   */
  private warm(): void {
    const host = parseHost('192.0.2.1');
    this.netlink?.dynamic([
      { host, timeoutMs: 1000 },
      { host, unblock: true },
    ]);
  }

  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    // Whatever comes after this must not be folded into an earlier dynamic batch.
    this.openBatch = null;
    const run = this.tail.then(task);
    this.tail = run.catch((e: unknown) => {
      this.log?.error({ err: e }, 'firewall change failed');
    });
    return run;
  }
}

function nothingKnown(): Record<ListSet, null> {
  return { allow: null, deny: null, country: null };
}
