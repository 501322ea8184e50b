/**
 * The kernel before everything else (issue 13 target 5: 100k running blocks and 100k list
 * entries in the kernel ≤ 1 s after start). `sipprotd run` opens the store and the
 * firewall (open.ts), then loads sipprot's table from what enforcement needs and nothing
 * more — the list files, each running block's address and expiry (Store.blocksInForce),
 * the blocked countries' networks — and only then loads the rest of the daemon: its web
 * API, mail, cluster and metrics modules took ~0.5–1 s to load on a 2-core machine, the
 * policy's full records another ~0.6 s for 100k blocks. This module imports none of them.
 * Daemon.start loads the table the same way when its caller did not: one first load.
 *
 * The parts go one after the other, each read while the firewall loads the one before
 * (Firewall.initInSteps; 2 cores): the lists first (read for the kernel as numbers:
 * core/lists/list-columns.ts), then the table, its sets, the allowed addresses and the
 * chains are made (one nft -f) while the store is read part by part (STORE_CHUNK), and
 * the kernel inserts on another thread the lists' elements, then each part of the running
 * blocks while the next is read (~2 µs an element here, one transaction at a time: the
 * 200k of 100k + 100k took ~0.4 s after the lists had been read, then after the store).
 * The daemon's own lists (entries, notes, lookups) are parsed from the same text once the
 * table is in.
 *
 * What it hands on (Opened.early) the Daemon takes as its own: the parsed lists, the geo
 * database when countries needed it. "Never silently off": a load that fails fails the
 * start (the caller undoes what was opened and says why); status only answers once the
 * whole daemon runs, and by then the table is complete.
 */

import type { CountryRanges } from '../core/geoip/table.js';
import { parseListColumns } from '../core/lists/list-columns.js';
import type { BlockRecord, Config, ListName } from '../core/types.js';
import { joinHosts, NO_HOSTS } from '../firewall/packed-hosts.js';
import { firewallOptions } from '../firewall/reconcile.js';
import { packHeldV4 } from '../firewall/state.js';
import type { GeoDatabase } from '../geoip/database.js';
import { ListFiles } from '../lists/list-files.js';
import type { FirewallLists, FirewallState, PackedHosts } from '../ports/firewall.js';
import { KERNEL_SLACK_SECONDS, kernelState } from './kernel-state.js';
import { readAccessLists } from './lists.js';
import type { EarlyKernel, Opened } from './open.js';

const clock = () => Date.now() / 1000;

/** Loads the table into the kernel from the lists, the store and the countries; sets `o.early`. */
export async function loadKernelFirst(o: Opened): Promise<EarlyKernel> {
  const t0 = performance.now();
  const phases = new StartPhases(o.startedAt);
  const config: Config = o.config;
  const lists = new ListFiles({ allow: config.allowlistFile, deny: config.denylistFile });
  // The firewall's check (nft present, rights: its nft processes ran while the store was
  // opened) first: its error is the one said when nothing works.
  await o.kernelChecked;
  phases.lap('check');
  const t1 = performance.now();
  const options = firewallOptions(config);
  // Each part is read while the firewall loads the one before (initInSteps): the lists
  // first, then the table is made while the store is read, each part of the running
  // blocks inserted while the next is read.
  let running = 0;
  const held = async (early?: (v4: PackedHosts) => void): Promise<FirewallState> => {
    const activeAt = clock();
    // Every part kept: the careful way (state.ts packDynamic) needs them all.
    const parts: Array<Pick<BlockRecord, 'ip' | 'expiresAt'>>[] = [];
    const v4: PackedHosts[] = [];
    const rest: Pick<BlockRecord, 'ip' | 'expiresAt'>[] = [];
    let careful = false;
    for await (const part of o.store.blocksInForceChunks(activeAt, STORE_CHUNK)) {
      parts.push(part);
      running += part.length;
      // The IPv4 hosts (most blocks) packed in one pass; the rest, or all when one
      // repeats, the careful way (state.ts packDynamic).
      const fast = careful ? null : packHeldV4(part, clock(), KERNEL_SLACK_SECONDS);
      if (fast) {
        v4.push(fast.v4);
        for (const b of fast.rest) rest.push(b);
        early?.(fast.v4);
      } else careful = true;
      // A turn of the event loop: the table's nft -f ends, the kernel's inserts go on.
      await new Promise((r) => setImmediate(r));
    }
    phases.lap('store');
    const state = kernelState({
      held: careful ? parts.flat() : rest,
      ...(careful ? {} : { packed: { 4: joinHosts(v4), 6: NO_HOSTS } }),
      lists: NO_LISTS,
      countries: NO_COUNTRIES,
      config,
      now: clock(),
    });
    phases.lap('state');
    return state;
  };
  let geo: Awaited<ReturnType<typeof countries>> | undefined;
  let texts: Record<ListName, string | null> | undefined;
  let desired: FirewallLists | undefined;
  const listsNow = async (): Promise<FirewallLists> => {
    // Read once: the kernel's columns now, the daemon's lists from the same text after.
    texts = { allow: lists.readText('allow'), deny: lists.readText('deny') };
    const columns = { allow: parseListColumns(texts.allow ?? ''), deny: parseListColumns(texts.deny ?? '') };
    phases.lap('lists');
    geo = config.blockedCountries.length > 0 ? await countries(o) : undefined;
    phases.lap('geo');
    const blocked = geo ? [...geo.ranges.v4, ...geo.ranges.v6] : [];
    desired = { allow: [], deny: [], countries: blocked, columns };
    return desired;
  };
  if (o.kernel.initInSteps) await o.kernel.initInSteps(options, held, listsNow);
  else {
    const l = await listsNow();
    await o.kernel.init({ ...(await held()), ...l, options });
  }
  phases.lap('load');
  const loadedMs = Math.round(performance.now() - t1);
  // The lists as the daemon judges with them (entries, notes, lookups; their errors and
  // near-total entries said): built after the table is in, nothing is judged before.
  const access = readAccessLists(lists, o.log, texts);
  phases.lap('access');
  o.log.info(
    {
      why: 'start',
      ms: loadedMs,
      readMs: Math.round(t1 - t0),
      dynamic: running,
      allow: access.allowEntries().length,
      deny: access.denyEntries().length,
      countries: desired!.countries.length,
      phases: phases.ms,
      cpu: phases.cpu,
    },
    'firewall reconciled',
  );
  const early: EarlyKernel = { lists, access, ...(geo !== undefined ? { geo: geo.db } : {}) };
  o.early = early;
  return early;
}

const NO_LISTS = { allowEntries: () => [], denyEntries: () => [] };
const NO_COUNTRIES = { v4: [], v6: [] };
/**
 * Running blocks a part of the store read (~20-35 ms of the event loop's here): the
 * kernel inserts each while the next is read, so the inserts end soon after the read.
 */
const STORE_CHUNK = 8192;

/**
 * Where a start's time went (the start line's `phases`, wall ms, and `cpu`, ms of the
 * process's CPU, every thread; bench/live/start.bench.ts prints both): boot = from the
 * process's start to openParts (node itself, the module graph up to daemon/main.js),
 * open = lock, PID file, store open and check; check = the wait for the firewall's check;
 * lists = both files read and parsed for the kernel; geo; store = the lists' ranges and
 * sets, then the running blocks read and packed, part by part (the table's `nft -f` and
 * the kernel's inserts go on meanwhile); state = the running blocks' desired state;
 * load = the rest (the wait for the kernel's last inserts); access = the daemon's lists
 * parsed from the same text (after the table is complete).
 */
class StartPhases {
  readonly ms: Record<string, number> = {};
  readonly cpu: Record<string, number> = {};
  private at: number;
  private cpuAt: number;

  constructor(started: { ms: number; cpuMs: number } | undefined) {
    this.at = started?.ms ?? 0;
    this.cpuAt = started?.cpuMs ?? 0;
    this.ms.boot = Math.round(this.at);
    this.cpu.boot = Math.round(this.cpuAt);
    this.lap('open');
  }

  lap(name: string): void {
    const now = performance.now();
    const c = process.cpuUsage();
    const cpuNow = (c.user + c.system) / 1000;
    this.ms[name] = Math.round(now - this.at);
    this.cpu[name] = Math.round(cpuNow - this.cpuAt);
    this.at = now;
    this.cpuAt = cpuNow;
  }
}

/**
 * Geo only when countries are blocked; otherwise the Daemon loads it after the table, and
 * its ~20 modules (geoip, mmdb) are not loaded before it either.
 */
async function countries(o: Opened): Promise<{ db: GeoDatabase | null; ranges: CountryRanges }> {
  const { countryRanges, loadGeo } = await import('./geo.js');
  const db = await loadGeo(o.config, o.log);
  return { db, ranges: countryRanges(db, o.config.blockedCountries) };
}
