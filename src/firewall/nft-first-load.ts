/**
 * The first load of a process's table (the daemon's start) when sipprot's table is not in
 * the kernel yet: `nft -f` for the table with empty sets, then every element over netlink
 * in chunks (linear in the elements; nft 1.0.6's parser is not: 2M took ~70 s; 100k:
 * ~0.3 s instead of ~1.5 s). Until the second step is done the sets are empty: acceptable
 * only because nothing was enforced before — with a table already there (a restart after
 * kill -9) the caller replaces it in one `nft -f` transaction instead (nftables.ts).
 *
 * A chunk the kernel refuses leaves a partial table, never silently: the error is logged
 * with how many elements were in, and the whole table is loaded again in one `nft -f`
 * transaction (an atomic replace); only when that fails too does the load fail.
 *
 * A start loads in steps (loadInSteps): the lists are read first, then the table, every
 * set, the allowed addresses and the chains are made (one nft -f) while the store is
 * read, and the lists' and the running blocks' elements are inserted on another thread
 * as they come: the kernel's inserts (~2 µs an element here, one transaction at a time)
 * go on beside the store read instead of after it.
 *
 * Every other load (a reload, a reconcile, a table already there, no netlink) is the whole
 * table in one `nft -f` transaction (loadWhole).
 */

import { SipprotError } from '../core/errors.js';
import type { FirewallLists, FirewallOptions, FirewallState, PackedHosts } from '../ports/firewall.js';
import type { Logger } from '../ports/logger.js';
import { elementCount, loadElements, type NftNetlink } from './nft-netlink.js';
import { type Layout, type SetElements, setElementsCommand, TABLE } from './nft-render.js';
import {
  dynamicElements,
  renderFirstStep,
  renderInit,
  renderInitSplit,
  renderPrefixElements,
  renderSecondStep,
} from './nft-render-init.js';
import type { NftSession } from './nft-session.js';
import { hostCount, joinHosts, NO_HOSTS } from './packed-hosts.js';
import { checkPacked, prepareFeeds, prepareLists, prepareState, type RenderState } from './state.js';

/**
 * Allowed addresses (elements) at most that a start writes into its chains' `nft -f`
 * script: nft 1.0.6 parses ~5.8 µs an element here (2,000: ~12 ms); a bigger allow list
 * goes over netlink before a script of the chains alone.
 */
const INLINE_ALLOW = 2000;

/** Sets one netlink load takes at most (native/src/nft-load-addon.c MAX_LOAD_OPS). */
const MAX_SETS_A_LOAD = 16;

export interface FirstLoadDeps {
  session: NftSession;
  netlink: NftNetlink;
  log: Logger | undefined;
}

/** What a load put in the kernel: `elements` went over netlink (null: a refused chunk, then nft -f; undefined: nft -f). */
export interface LoadResult {
  layout: Layout;
  elements: SetElements[] | null | undefined;
}

/** The whole table in one `nft -f` transaction. */
export async function loadWhole(session: NftSession, state: RenderState): Promise<LoadResult> {
  const { script, layout } = renderInit(state);
  await session.runScript(script);
  return { layout, elements: undefined };
}

/**
 * A start's load (Firewall.initInSteps): in steps when `first` is given (the process's
 * first load, no table in the kernel, netlink), else `lists()`, `held()`, then the whole
 * table in one transaction. The same table either way.
 */
export async function loadStart(
  first: FirstLoadDeps | null,
  session: NftSession,
  options: FirewallOptions,
  held: (early?: (v4: PackedHosts) => void) => Promise<FirewallState>,
  lists: () => Promise<FirewallLists>,
): Promise<LoadResult & { state: RenderState }> {
  if (!first) {
    const l = await lists();
    const whole = prepareState({ ...(await held()), ...l, options });
    return { ...(await loadWhole(session, whole)), state: whole };
  }
  return loadInSteps(
    first,
    options,
    async (early) => {
      const { lists: _, ...blocks } = prepareState({ ...(await held(early)), options });
      return blocks;
    },
    async () => {
      const l = await lists();
      return { lists: prepareLists(l), feeds: prepareFeeds(l.feeds ?? []) };
    },
  );
}

/**
 * Loads `state` in two steps; `elements`: what went over netlink (null when the whole
 * table had to go through `nft -f` after a refused chunk).
 */
export async function loadSplit(
  d: FirstLoadDeps,
  state: RenderState,
): Promise<{ layout: Layout; elements: SetElements[] | null }> {
  const { structure, elements, layout } = renderInitSplit(state);
  await d.session.runScript(`${structure.join('\n')}\n`);
  let loaded = 0;
  try {
    for (const e of elements) loaded += loadElements(d.netlink, e);
    return { layout, elements };
  } catch (e) {
    return wholeAgain(d, state, e, loaded, elements);
  }
}

/**
 * loadSplit in steps, for a start (daemon/kernel-first.ts): `lists()` first (nothing is
 * in the kernel yet), then one `nft -f` for the table, every set, the allowed addresses
 * and the chains (a big allow list over netlink before the chains: no chain may match
 * before every allowed address is in, or a running block of an address allowlisted since
 * drops it meanwhile), made on the other core while `held()` reads the running blocks.
 * Every other element goes over netlink off the event loop, in order: the lists' as soon
 * as the table is made, then each part of the running blocks `held` hands to `early` as
 * it reads them (the kernel's inserts beside the store read: the event loop must get a
 * turn between parts), then the rest of them. Fails as loadSplit does; when `held()`
 * throws the half-made table is deleted again and that error is the load's.
 */
export async function loadInSteps(
  d: FirstLoadDeps,
  options: FirewallOptions,
  held: (early: (v4: PackedHosts) => void) => Promise<Omit<RenderState, 'lists' | 'options'>>,
  lists: () => Promise<Pick<RenderState, 'lists' | 'feeds'>>,
): Promise<{ layout: Layout; elements: SetElements[] | null; state: RenderState }> {
  const listed = await lists();
  const shape = renderSecondStep({ options, ...listed, dynamic: NO_DYNAMIC, prefixes: [] });
  const allow = shape.elements.filter((e) => e.kind === 'list' && e.name.startsWith('allow'));
  const allowCount = allow.reduce((n, e) => n + elementCount(e), 0);
  const script = (lines: string[]) => d.session.runScript(`${lines.join('\n')}\n`);
  const table = [...renderFirstStep(options), ...shape.structure];
  const q = new Inserts(d.netlink);
  const made = (async () => {
    if (allowCount <= INLINE_ALLOW) {
      await script([...table, ...allow.flatMap(setElementsCommand), ...shape.chains]);
      return;
    }
    await script(table);
    try {
      for (const e of allow) loadElements(d.netlink, e);
    } catch (e) {
      q.fail(e);
      return;
    }
    await script(shape.chains);
  })();
  // Two inserters, the lists' elements and the running blocks', side by side: in one
  // line 1M + 1M took 8.3-8.5 s against 7.1-7.2 s before this order, in two 6.95 s.
  const q2 = new Inserts(d.netlink);
  q.after(made);
  q2.after(made);
  const insert = (sets: SetElements[]) => q2.add(sets);
  const settled = async () => {
    await q.settled();
    await q2.settled();
    q.fail(q2.failed);
    q.inserted += q2.inserted;
    q2.inserted = 0;
  };
  q.add(shape.elements.filter((e) => !allow.includes(e)));
  const early: PackedHosts[] = [];
  const undo = async (e: unknown) => {
    await settled();
    await d.session.exec(['delete', 'table', ...TABLE.split(' ')]).catch(() => undefined);
    throw e;
  };
  const blocks = await held((v4) => {
    checkPacked(v4, 4);
    early.push(v4);
    insert([{ kind: 'dynamic', name: 'dyn4', family: 4, hosts: v4 }]);
  }).catch(undo);
  await made.catch(undo);
  if (blocks.feeds.length > 0)
    await undo(
      new SipprotError('SP_ERR_USAGE', 'a start takes its feeds with the lists, not the running blocks'),
    );
  const state: RenderState = { ...blocks, options, ...listed };
  const elements = [...shape.elements, ...dynamicElements(state)];
  // What went early is the start of dyn4 (held's state holds it too): the rest goes now.
  // When it is not (the careful way chose otherwise: another spelling of an address),
  // the table is loaded whole again.
  const sent = joinHosts(early);
  const dyn4 = state.dynamic[4];
  if (!startsWith(dyn4, sent)) {
    q.fail(
      new SipprotError('SP_ERR_FIREWALL', 'the running blocks loaded early are not those of the whole state'),
    );
  }
  const count = hostCount(sent);
  insert([
    {
      kind: 'dynamic',
      name: 'dyn4',
      family: 4,
      hosts: { keys: dyn4.keys.subarray(count * 4), timeoutsMs: dyn4.timeoutsMs.subarray(count) },
    },
    { kind: 'dynamic', name: 'dyn6', family: 6, hosts: state.dynamic[6] },
  ]);
  await settled();
  const prefixes = renderPrefixElements(state.prefixes);
  if (prefixes.length > 0 && q.failed === null) await script(prefixes).catch((e: unknown) => q.fail(e));
  if (q.failed !== null)
    return { ...(await wholeAgain(d, state, q.failed, allowCount + q.inserted, elements)), state };
  return { layout: shape.layout, elements, state };
}

/**
 * A line of a start's inserts over netlink: one at a time on the pool once the table is
 * made (one a part, four at once, took more CPU at 100k), each taking every set queued
 * meanwhile (the event loop starts the next only between two parts of the store read).
 * A failed script skips them all, a failed insert those queued after it; `failed` is
 * the first failure (the table is then loaded whole again).
 */
class Inserts {
  failed: unknown = null;
  inserted = 0;
  private readonly waiting: SetElements[] = [];
  private draining: Promise<void> | null = null;
  private ready: Promise<boolean> = Promise.resolve(false);

  constructor(private readonly netlink: NftNetlink) {}

  /** Inserts begin once `made` (the table) is. */
  after(made: Promise<void>): void {
    this.ready = made.then(
      () => true,
      (e: unknown) => {
        this.fail(e);
        return false;
      },
    );
  }

  fail(e: unknown): void {
    if (e === null) return;
    this.failed ??= e;
  }

  add(sets: readonly SetElements[]): void {
    this.waiting.push(...sets);
    this.draining ??= this.drain();
  }

  async settled(): Promise<void> {
    await this.ready;
    while (this.draining) await this.draining;
  }

  private async drain(): Promise<void> {
    await this.ready;
    for (;;) {
      if (this.waiting.length === 0 || this.failed !== null) {
        this.waiting.length = 0;
        this.draining = null;
        return;
      }
      const sets = this.waiting.splice(0, MAX_SETS_A_LOAD);
      try {
        this.inserted += await this.netlink.loadAsync(sets);
      } catch (e) {
        this.fail(e);
        this.inserted += (e as { loaded?: number }).loaded ?? 0;
      }
    }
  }
}

const NO_DYNAMIC: RenderState['dynamic'] = { 4: NO_HOSTS, 6: NO_HOSTS };

/** Whether `whole` begins with `part` (keys and timeouts). */
function startsWith(whole: PackedHosts, part: PackedHosts): boolean {
  const n = part.timeoutsMs.length;
  if (n > whole.timeoutsMs.length) return false;
  for (let i = 0; i < n; i++) if (whole.timeoutsMs[i] !== part.timeoutsMs[i]) return false;
  for (let i = 0; i < part.keys.length; i++) if (whole.keys[i] !== part.keys[i]) return false;
  return true;
}

/** After a refused chunk: said, then the whole table again in one `nft -f` transaction. */
async function wholeAgain(
  d: FirstLoadDeps,
  state: RenderState,
  e: unknown,
  loaded: number,
  elements: readonly SetElements[],
): Promise<{ layout: Layout; elements: null }> {
  const total = elements.reduce((n, x) => n + elementCount(x), 0);
  d.log?.error(
    { err: e, loaded, total },
    `loading the table's elements over netlink failed after ${loaded} of ${total}: ` +
      'loading the whole table again in one nft transaction',
  );
  const whole = renderInit(state);
  await d.session.runScript(whole.script);
  return { layout: whole.layout, elements: null };
}
