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
 * A start loads in steps (loadInSteps): the table is made while the store is read, the
 * running blocks are inserted on another thread while the event loop reads the list
 * files (~0.4 s for 100k lines here), then the lists and the chains go in. The kernel's
 * inserts of the blocks (0.15-0.3 s for 100k) and one `nft -f` are then off the path to
 * a complete table, for one `nft -f` more.
 *
 * Every other load (a reload, a reconcile, a table already there, no netlink) is the whole
 * table in one `nft -f` transaction (loadWhole).
 */

import type { FirewallLists, FirewallOptions, FirewallState } from '../ports/firewall.js';
import type { Logger } from '../ports/logger.js';
import { elementCount, loadElements, type NftNetlink } from './nft-netlink.js';
import { type Layout, type SetElements, setElementsCommand, TABLE } from './nft-render.js';
import {
  dynamicElements,
  renderFirstStep,
  renderInit,
  renderInitSplit,
  renderSecondStep,
} from './nft-render-init.js';
import type { NftSession } from './nft-session.js';
import { prepareLists, prepareState, type RenderState } from './state.js';

/**
 * Allowed addresses (elements) at most that a start writes into its chains' `nft -f`
 * script: nft 1.0.6 parses ~5.8 µs an element here (2,000: ~12 ms); a bigger allow list
 * goes over netlink before a script of the chains alone.
 */
const INLINE_ALLOW = 2000;

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
 * first load, no table in the kernel, netlink), else `held()`, `lists()`, then the whole
 * table in one transaction. The same table either way.
 */
export async function loadStart(
  first: FirstLoadDeps | null,
  session: NftSession,
  options: FirewallOptions,
  held: () => Promise<FirewallState>,
  lists: () => Promise<FirewallLists>,
): Promise<LoadResult & { state: RenderState }> {
  if (!first) {
    const state = prepareState({ ...(await held()), options });
    const whole = { ...state, lists: prepareLists(await lists()) };
    return { ...(await loadWhole(session, whole)), state: whole };
  }
  return loadInSteps(
    first,
    options,
    async () => {
      const { lists: _, ...blocks } = prepareState({ ...(await held()), options });
      return blocks;
    },
    async () => prepareLists(await lists()),
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
 * loadSplit in steps, for a start (daemon/kernel-first.ts): the table made from the
 * options while `held()` reads the running blocks (nft -f on the other core), their
 * elements inserted off the event loop while `lists()` reads the list files, then the
 * list and feed sets, the allow list's elements and the chains (one `nft -f` for a usual
 * allow list), then the other elements. Fails as loadSplit does; when `held()` or `lists()` throws
 * (nothing was in the kernel before: a start without a table), the half-made table is
 * deleted again and that error is the load's.
 */
export async function loadInSteps(
  d: FirstLoadDeps,
  options: FirewallOptions,
  held: () => Promise<Omit<RenderState, 'lists' | 'options'>>,
  lists: () => Promise<RenderState['lists']>,
): Promise<{ layout: Layout; elements: SetElements[] | null; state: RenderState }> {
  const made = d.session.runScript(`${renderFirstStep(options).join('\n')}\n`);
  // Awaited after `held()`: a failure meanwhile must not count as unhandled (it ends the process).
  made.catch(() => undefined);
  const undo = async (e: unknown, inserts?: Promise<unknown>) => {
    await made.catch(() => undefined);
    await inserts;
    await d.session.exec(['delete', 'table', ...TABLE.split(' ')]).catch(() => undefined);
    throw e;
  };
  const blocks = await held().catch(undo);
  await made;
  const dynamic = dynamicElements(blocks);
  // Settled whatever comes next: a failure is handled below, never unhandled.
  const inserted = d.netlink.loadAsync(dynamic).then(
    (n) => ({ n, err: null }),
    (err: unknown) => ({ n: (err as { loaded?: number }).loaded ?? 0, err }),
  );
  const listed = await lists().catch((e: unknown) => undo(e, inserted));
  const state: RenderState = { ...blocks, options, lists: listed };
  const second = renderSecondStep(state);
  const elements = [...second.elements, ...dynamic];
  // The running blocks are in dyn4/dyn6 already: no chain may match before the allowed
  // addresses are in their sets, or a running block of an address allowlisted since
  // (the file changed while the daemon was down) drops it meanwhile. A usual allow list
  // goes in the chains' own script; a big one over netlink first, then the chains.
  const allow = second.elements.filter((e) => e.kind === 'list' && e.name.startsWith('allow'));
  const allowCount = allow.reduce((n, e) => n + elementCount(e), 0);
  let loaded = 0;
  try {
    const script = (lines: string[]) => d.session.runScript(`${lines.join('\n')}\n`);
    if (allowCount <= INLINE_ALLOW) {
      await script([...second.structure, ...allow.flatMap(setElementsCommand), ...second.chains]);
      loaded += allowCount;
    } else {
      await script(second.structure);
      for (const e of allow) loaded += loadElements(d.netlink, e);
      await script(second.chains);
    }
    for (const e of second.elements) if (!allow.includes(e)) loaded += loadElements(d.netlink, e);
  } catch (e) {
    loaded += (await inserted).n;
    return { ...(await wholeAgain(d, state, e, loaded, elements)), state };
  }
  const h = await inserted;
  if (h.err) return { ...(await wholeAgain(d, state, h.err, loaded + h.n, elements)), state };
  return { layout: second.layout, elements, state };
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
