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
 */
import type { Logger } from '../ports/logger.js';
import { elementCount, loadElements, type NftNetlink } from './nft-netlink.js';
import { type Layout, renderInit, renderInitSplit, type SetElements } from './nft-render.js';
import type { NftSession } from './nft-session.js';
import type { RenderState } from './state.js';

export interface FirstLoadDeps {
  session: NftSession;
  netlink: NftNetlink;
  log: Logger | undefined;
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
}
