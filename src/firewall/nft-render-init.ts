/**
 * The whole table rendered for a load (nft-render.ts renders each change): one `nft -f`
 * script (renderInit: a reload, a reconcile, a table already in the kernel), the same as
 * a script for the table and data for the sets' elements (renderInitSplit: the first
 * load, elements over netlink), and that in two steps for a start (renderFirstStep,
 * renderSecondStep: nft-first-load.ts loadInSteps). Inputs are validated (state.ts).
 */
import type { Family } from '../core/net/ip.js';
import type { FirewallOptions } from '../ports/firewall.js';
import { emptyLayout, group, type Layout, lengths } from './nft-layout.js';
import {
  COUNTERS,
  LIST_SETS,
  listSets,
  prefixElement,
  renderChains,
  setElementsCommand,
  tftpSetDecl,
} from './nft-render.js';
import { ADDR_TYPE, FAMILIES, feedLengths, feedSets, type SetElements, TABLE } from './nft-sets.js';
import type { PrefixElement, RenderState } from './state.js';

/**
 * The whole table as one `nft -f` script: one transaction, so the old table is
 * replaced by the new one with no moment in between. The leading `table` makes the
 * `delete` valid when the table does not exist yet.
 */
export function renderInit(s: RenderState): { script: string; layout: Layout } {
  const { structure, elements, layout } = renderInitSplit(s);
  return { script: `${[...structure, ...elements.flatMap(setElementsCommand)].join('\n')}\n`, layout };
}

/**
 * renderInit in two parts: the table with every set empty (a script), and the sets'
 * elements as data, for a bulk load over netlink after the script.
 */
export function renderInitSplit(s: RenderState): {
  structure: string[];
  elements: SetElements[];
  layout: Layout;
} {
  const lists = renderListSets(s.lists);
  const fs = feedSets(s.feeds);
  const lines = [...tableLines(), ...lists.sets, ...fs.sets];
  for (const f of FAMILIES) lines.push(...heldSets(f, s.options), ...prefixElements(f, s.prefixes));
  const layout: Layout = { ...lists.layout, feed: feedLengths(s.feeds) };
  lines.push(...renderChains(layout, s.options));
  return { structure: lines, elements: [...lists.elements, ...fs.elements, ...dynamicElements(s)], layout };
}

/**
 * renderInitSplit in two steps (the first load at start, nft-first-load.ts loadInSteps),
 * so the table can be made before the store and the lists are read: first the table, its
 * counters and the empty dynamic, TFTP and PREFIX_BLOCK sets (no chain: nothing is
 * matched yet), from the options alone...
 */
export function renderFirstStep(options: FirewallOptions): string[] {
  const lines = tableLines();
  for (const f of FAMILIES) lines.push(...heldSets(f, options));
  return lines;
}

/**
 * ...then the list and feed sets and PREFIX_BLOCK's networks (`structure`) and the chains
 * (`chains`: a second `nft -f` holds both, unless the allow list is too big to go in it);
 * `elements`: the lists' and feeds' (the dynamic sets': dynamicElements).
 */
export function renderSecondStep(s: RenderState): {
  structure: string[];
  chains: string[];
  elements: SetElements[];
  layout: Layout;
} {
  const lists = renderListSets(s.lists);
  const fs = feedSets(s.feeds);
  const lines = [...lists.sets, ...fs.sets];
  for (const f of FAMILIES) lines.push(...prefixElements(f, s.prefixes));
  const layout: Layout = { ...lists.layout, feed: feedLengths(s.feeds) };
  const chains = renderChains(layout, s.options);
  return { structure: lines, chains, elements: [...lists.elements, ...fs.elements], layout };
}

/** The dynamic sets' elements (the running blocks), for netlink. */
export function dynamicElements(s: Pick<RenderState, 'dynamic'>): SetElements[] {
  return FAMILIES.map((f) => ({ kind: 'dynamic', name: `dyn${f}`, family: f, hosts: s.dynamic[f] }));
}

/** The table, emptied when it exists (the leading `table` makes the `delete` valid), and its counters. */
function tableLines(): string[] {
  const lines = [`table ${TABLE}`, `delete table ${TABLE}`, `add table ${TABLE}`];
  for (const name of Object.values(COUNTERS)) lines.push(`add counter ${TABLE} ${name}`);
  return lines;
}

function renderListSets(lists: RenderState['lists']): {
  sets: string[];
  elements: SetElements[];
  layout: Omit<Layout, 'feed'>;
} {
  const sets: string[] = [];
  const elements: SetElements[] = [];
  const layout: Omit<Layout, 'feed'> = emptyLayout();
  for (const list of LIST_SETS) {
    const g = group(lists[list]);
    layout[list] = lengths(g);
    const l = listSets(list, g);
    sets.push(...l.sets);
    elements.push(...l.elements);
  }
  return { sets, elements, layout };
}

/** A family's dynamic, TFTP and PREFIX_BLOCK sets, empty. */
function heldSets(f: Family, options: FirewallOptions): string[] {
  return [
    `add set ${TABLE} dyn${f} { type ${ADDR_TYPE[f]}; flags timeout; }`,
    `add set ${TABLE} tftp${f} ${tftpSetDecl(f, options)}`,
    `add set ${TABLE} pfx${f} { type ${ADDR_TYPE[f]}; flags interval,timeout; }`,
  ];
}

/** PREFIX_BLOCK's networks of both families (a start's, after its running blocks are read). */
export function renderPrefixElements(prefixes: readonly PrefixElement[]): string[] {
  return FAMILIES.flatMap((f) => prefixElements(f, prefixes));
}

/** PREFIX_BLOCK's networks of a family (a handful at most: written in the script). */
function prefixElements(f: Family, prefixes: readonly PrefixElement[]): string[] {
  const nets = prefixes.filter((p) => p.family === f).map(prefixElement);
  return nets.length > 0 ? [`add element ${TABLE} pfx${f} { ${nets.join(', ')} }`] : [];
}
