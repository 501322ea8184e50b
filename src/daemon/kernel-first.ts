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
 * What it hands on (Opened.early) the Daemon takes as its own: the parsed lists, the geo
 * database when countries needed it. "Never silently off": a load that fails fails the
 * start (the caller undoes what was opened and says why); status only answers once the
 * whole daemon runs, and by then the table is complete.
 */

import type { CountryRanges } from '../core/geoip/table.js';
import type { Config } from '../core/types.js';
import { packHeldV4 } from '../firewall/state.js';
import type { GeoDatabase } from '../geoip/database.js';
import { ListFiles } from '../lists/list-files.js';
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
  // Read while the firewall's check runs (its nft processes use the other core); when
  // both fail, the check's error is the one said (no nft, no rights come first).
  const read = await readAll(o, lists, phases).catch(async (e: unknown) => {
    await o.kernelChecked;
    throw e;
  });
  await o.kernelChecked;
  phases.lap('check');
  const { access, running } = read;
  const geo = read.geo;
  const t1 = performance.now();
  const now = clock();
  // The IPv4 hosts (most blocks) packed in one pass; the rest, or all when one repeats,
  // the careful way (state.ts packDynamic).
  const fast = packHeldV4(running, now, KERNEL_SLACK_SECONDS);
  const desired = kernelState({
    held: fast ? fast.rest : running,
    ...(fast
      ? { packed: { 4: fast.v4, 6: { keys: new Uint8Array(0), timeoutsMs: new Float64Array(0) } } }
      : {}),
    lists: access,
    countries: geo ? geo.ranges : { v4: [], v6: [] },
    config,
    now,
  });
  phases.lap('state');
  await o.kernel.init(desired);
  phases.lap('load');
  o.log.info(
    {
      why: 'start',
      ms: Math.round(performance.now() - t1),
      readMs: Math.round(t1 - t0),
      dynamic: running.length,
      allow: desired.allow.length,
      deny: desired.deny.length,
      countries: desired.countries.length,
      phases: phases.ms,
      cpu: phases.cpu,
    },
    'firewall reconciled',
  );
  const early: EarlyKernel = { lists, access, ...(geo !== undefined ? { geo: geo.db } : {}) };
  o.early = early;
  return early;
}

async function readAll(o: Opened, lists: ListFiles, phases: StartPhases) {
  const config = o.config;
  const access = readAccessLists(lists, o.log);
  phases.lap('lists');
  const geo = config.blockedCountries.length > 0 ? await countries(o) : undefined;
  phases.lap('geo');
  const running = await o.store.blocksInForce(clock());
  phases.lap('store');
  return { access, geo, running };
}

/**
 * Where a start's time went (the start line's `phases`, wall ms, and `cpu`, ms of the
 * process's CPU, every thread; bench/live/start.bench.ts prints both): boot = from the
 * process's start to openParts (node itself, the module graph up to daemon/main.js),
 * open = lock, PID file, store open and check; lists = both files read and parsed; geo;
 * store = the running blocks read; check = the wait for the firewall's check; state = the
 * desired state; load = the table into the kernel (nft -f, then netlink).
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
