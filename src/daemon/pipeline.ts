/**
 * The live decision path: a frame (libpcap) or a HEPv3 packet → decoder (packet-walk.ts)
 * → engine (detection and policy, the same Engine replay uses) → enforcer. The enforcer
 * changes the kernel at once, in the same call, and commits to the store once per
 * event-loop turn: nothing between a packet and its decision waits for a disk or a lock.
 *
 * A manual unblock and a list change take the same path (Engine.unblock), so the kernel,
 * the store and the live view agree whoever lifted a block. The engine is rebuilt on
 * reload (new thresholds) and fed the store's running blocks again; the decoder only when
 * what capture sees changed (its TCP reassembly state would otherwise be lost for nothing).
 */
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import type { Alert } from '../core/detect/alerts.js';
import { Engine } from '../core/engine.js';
import { ACTORS } from '../core/history/events.js';
import type { AccessLists } from '../core/lists/lists.js';
import { LINK_ETHERNET } from '../core/packet/link.js';
import { exemptByLists } from '../core/policy/exempt.js';
import type { AttackRecord } from '../core/records.js';
import type { BlockRecord, Config, Decision, SipEvent } from '../core/types.js';
import type { DetectionCounts } from '../metrics/metrics-sources.js';
import { collectGarbage } from '../platform/full-gc.js';
import type { Protection, StoreBacklog } from '../ports/admin.js';
import type { Logger } from '../ports/logger.js';
import type { Store } from '../ports/store.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { addCounts, countsOf } from './detection-counts.js';
import { Enforcer, type EnforcerDeps } from './enforcer.js';
import { DaemonHistory } from './history.js';
import { localAddresses, newDecoder, type PacketMeter, PacketWalk } from './packet-walk.js';
import { historyThrough, StoreWriter } from './store-writer.js';
import { warmUpFrames } from './warm-up.js';

/** TEST-NET-1 (RFC 5737): never a real peer; blocked for a moment by the warm-up. */
const WARM_IP = '192.0.2.254';

export interface PipelineDeps {
  /** The lists in force (replaced on every list change). */
  lists(): AccessLists;
  /** The country of an address in the geo-IP database in force, or null. */
  country(ip: string): string | null;
  /** Never blocked dynamically: the host's own, resolvers, gateways, admin peers, PROTECTED_PEERS. */
  protectedPeer?(ip: string): boolean;
  /** Where decisions go: the kernel, the store, the deny list, the notices. */
  enforce: Omit<EnforcerDeps, 'recordOf' | 'clock' | 'historyOf' | 'store'> & {
    store: Pick<Store, 'commit' | 'setSetting'>;
  };
  log: Logger;
  /** An alert (breach, distributed guessing, watched call): said at once, never throttled. */
  alerted(a: Alert): void;
  /** Metrics of the packet path (daemon/ops.ts); called per frame and per SIP message. */
  meter?: PacketMeter;
  /** Epoch seconds. */
  clock(): number;
}

// Detection's counters since the daemon started (the metrics' shape: an engine rebuilt on
// reload hands its counts on, see `carried`).
export type { DetectionCounts, PacketMeter };

export class Pipeline {
  /** The counts of engines replaced on reload. */
  private carried: DetectionCounts | null = null;
  private readonly enforcer: Enforcer;
  /** The history's view of decisions: sample answers, renewal counts, actors. */
  private readonly history: DaemonHistory;
  private engine: Engine;
  /** Frames and HEP packets in, decoded; each event comes back to `judge` (the inputs' sink). */
  readonly packets: PacketWalk;
  /** Commits off the event loop when the store is STATE_DIR's SQLite file (store-writer.ts). */
  private readonly writer: StoreWriter | null;
  /** Told the engine's next due time when something may have brought it sooner (periodic.ts). */
  private dueWatch: ((due: number) => void) | null = null;

  constructor(
    config: Config,
    private readonly d: PipelineDeps,
  ) {
    this.history = new DaemonHistory(config, ACTORS.daemon(hostname()));
    const store = d.enforce.store;
    this.writer = store instanceof SqliteStore ? new StoreWriter(dirname(store.file), store, d.log) : null;
    const writer = this.writer;
    this.enforcer = new Enforcer({
      ...d.enforce,
      store: writer
        ? {
            commit: (b) => writer.commit(b),
            stage: (b) => writer.stage(b),
            unstage: (s) => writer.unstage(s as Uint8Array),
            commitStaged: (staged) => writer.commitStaged(staged as Uint8Array[]),
          }
        : store,
      recordOf: (ip) => this.engine.policy.recordOf(ip),
      historyOf: (dec, actor) => this.history.eventOf(dec, actor),
      clock: d.clock,
    });
    this.engine = this.newEngine(config);
    this.packets = new PacketWalk(config, {
      engine: () => this.engine,
      judge: (ev) => this.judge(ev),
      moved: () => this.dueMoved(),
      log: d.log,
      meter: d.meter,
      clock: d.clock,
    });
  }

  /** `store` for the admin use cases: their history rows are written off the event loop. */
  adminStore(store: Store): Store {
    const w = this.writer;
    return w ? historyThrough(store, (b) => w.commit(b)) : store;
  }

  /** A setting written off the event loop (the alert board's document), in order with the commits. */
  saveSetting(key: string, value: string | null): Promise<void> {
    return this.writer ? this.writer.setSetting(key, value) : this.d.enforce.store.setSetting(key, value);
  }

  /** One decoded SIP event: its evidence kept, judged, its decisions carried out. */
  private judge(ev: SipEvent): void {
    this.history.observe(ev);
    this.enforcer.apply(this.engine.onEvent(ev));
  }

  /** Moves time on: expired blocks lift, unanswered challenges are judged, state rotates. */
  tick(now = this.d.clock()): void {
    this.enforcer.apply(this.engine.tick(now));
  }

  /** When tick next has work, epoch seconds (Engine.nextDue; +Infinity: nothing waits). */
  nextDue(): number {
    return this.engine.nextDue();
  }

  /**
   * `f` is told the next due time whenever a packet, a peer's block, a restore or a reload
   * may have brought it sooner (it compares: one call a frame, no allocation).
   */
  watchDue(f: (due: number) => void): void {
    this.dueWatch = f;
  }

  private dueMoved(): void {
    this.dueWatch?.(this.engine.nextDue());
  }

  /** Lifts a block by hand; false when the address was not blocked. */
  unblock(ip: string, opts: { forgetHistory?: boolean; actor?: string } = {}): boolean {
    const { actor, ...engineOpts } = opts;
    const ds = this.engine.unblock(ip, this.d.clock(), engineOpts);
    this.enforcer.apply(ds, actor);
    return ds.some((d) => d.action === 'unblock');
  }

  /** Blocks decided on peer hosts (cluster), through the policy like any decision; returns the decisions. */
  adopt(records: Iterable<BlockRecord>): Decision[] {
    const now = this.d.clock();
    const out: Decision[] = [];
    for (const r of records) {
      const ds = this.engine.adopt(r, now);
      this.enforcer.apply(ds);
      out.push(...ds);
    }
    this.dueMoved();
    return out;
  }

  /** An unblock by hand on a peer host (cluster): the decision carries that host. */
  unblockFrom(host: string, ip: string, forgetHistory: boolean): Decision[] {
    const ds = this.engine.unblock(ip, this.d.clock(), { forgetHistory, host });
    this.enforcer.apply(ds);
    return ds;
  }

  /** Attacks seen by peer hosts (cluster), stored with this turn's commit. */
  recordPeerAttacks(attacks: readonly AttackRecord[]): void {
    this.enforcer.peerAttacks(attacks);
  }

  /** The fleet's count toward BLOCK_THRESHOLD for an address (never lowers this host's). */
  raiseEscalation(ip: string, n: number): void {
    this.engine.restore([], new Map([[ip, n]]));
  }

  /** The policy's record of a block it holds. */
  recordOf(ip: string): BlockRecord | undefined {
    return this.engine.policy.recordOf(ip);
  }

  /** After a list change: lifts the blocks the lists now exempt (core/policy/exempt.ts). */
  liftExempt(): void {
    const now = this.d.clock();
    for (const ip of exemptByLists(this.engine.policy, this.d.lists())) {
      this.enforcer.apply(this.engine.unblock(ip, now));
    }
  }

  /** A reloaded config: a new engine (restore it next), a new decoder when capture changed. */
  reconfigure(config: Config, captureChanged: boolean): void {
    const old = countsOf(this.engine);
    this.carried = this.carried ? addCounts(this.carried, old) : old;
    this.engine = this.newEngine(config);
    this.history.reconfigure(config);
    this.packets.reconfigure(config, captureChanged);
    this.dueMoved();
  }

  /** Running blocks from the store (those that ran out while down are lifted there first). */
  async restore(store: Pick<Store, 'expireBlocks' | 'listBlocks' | 'allTimesBlocked'>): Promise<void> {
    const now = this.d.clock();
    const expired = await store.expireBlocks(now);
    if (expired.length > 0)
      this.d.log.info({ count: expired.length }, 'blocks expired while sipprotd was down');
    const blocks = await store.listBlocks({ activeAt: now });
    this.engine.restore(blocks, await store.allTimesBlocked());
    this.dueMoved();
  }

  /**
   * Runs the packet path once over synthetic traffic (warm-up.ts) through a throwaway
   * decoder and engine, then a block and unblock of a TEST-NET-1 address through the
   * firewall: the first real attack then finds the code compiled and the kernel path
   * open. Nothing reaches the live engine, the store or the notices. Returns ms spent.
   */
  async warmUp(config: Config): Promise<number> {
    const t0 = performance.now();
    const decoder = newDecoder(config, () => engine);
    const engine = new Engine(config, {
      lists: { check: (ip) => this.d.lists().check(ip) },
      country: (ip) => this.d.country(ip),
      localAddresses: localAddresses(),
    });
    // The enforcer's and the history's code too, with nowhere to go.
    const history = new DaemonHistory(config, ACTORS.daemon(hostname()));
    const enforcer = new Enforcer({
      firewall: NOWHERE,
      store: { commit: async () => {} },
      recordOf: (ip) => engine.policy.recordOf(ip),
      historyOf: (dec, actor) => history.eventOf(dec, actor),
      appendDeny: async () => {},
      published: () => {},
      failed: () => {},
      clock: this.d.clock,
    });
    const port = config.sipPorts[0]?.from ?? 5060;
    const frames = warmUpFrames({ port, at: this.d.clock(), failures: config.hitCount + 1, rounds: 200 });
    let decisions = 0;
    for (const f of frames) {
      for (const ev of decoder.push(LINK_ETHERNET, f.at, f.frame)) {
        history.observe(ev);
        const ds = engine.onEvent(ev);
        decisions += ds.length;
        enforcer.apply(ds);
      }
    }
    await enforcer.flush();
    const fw = this.d.enforce.firewall;
    await fw.block(WARM_IP, 1);
    await fw.unblock(WARM_IP);
    // The writer thread's first transaction (its statements, its code) on nothing.
    await this.writer?.commit({});
    const gcMs = collectGarbage();
    const ms = performance.now() - t0;
    this.d.log.info(
      { ms: Math.round(ms), frames: frames.length, decisions, gcMs: Math.round(gcMs) },
      'packet path warmed up',
    );
    return ms;
  }

  /** Every block the policy holds, dynamic then permanent (what the kernel must drop). */
  held(): BlockRecord[] {
    return [...this.engine.policy.blocks(), ...this.engine.policy.permanents()];
  }

  /** Held blocks by kind (metrics), no record built: permanent, decided here, by a peer host. */
  heldCounts(ownHost: string | undefined): { local: number; peer: number; permanent: number } {
    return this.engine.policy.heldCounts(ownHost);
  }

  /** Detection's counters since start (metrics). */
  detectionCounts(): DetectionCounts {
    const now = countsOf(this.engine);
    return this.carried ? addCounts(this.carried, now) : now;
  }

  /** SIP messages decoded so far (status). */
  get sipMessages(): number {
    return this.packets.sipMessages;
  }

  /** The store writer's backlog (status); null when commits run on the event loop. */
  writerState(): StoreBacklog | null {
    return this.writer?.backlogState() ?? null;
  }

  storeState(): Protection['store'] {
    return this.enforcer.storeState();
  }

  /** Waits until every decision so far is committed to the store (stop, reload, tests). */
  flush(): Promise<void> {
    return this.enforcer.flush();
  }

  /**
   * Stop: commits what is pending, one last try for what the store refused before (a full
   * disk), then closes the writer thread's connection; what is left unsaved is logged and
   * returned (the kernel still enforces it; the next start will not know it).
   */
  async close(): Promise<Protection['store']> {
    const left = await this.enforcer.close();
    await this.writer?.close();
    if (left.pending > 0) {
      this.d.log.error(
        { pending: left.pending, err: left.lastError },
        `${left.pending} decisions could not be saved (STATE_DIR full?): the kernel enforces them until their timeouts, the next start will not know them`,
      );
    }
    return left;
  }

  private newEngine(config: Config): Engine {
    const guard = this.d.protectedPeer;
    return new Engine(config, {
      lists: { check: (ip) => this.d.lists().check(ip) },
      country: (ip) => this.d.country(ip),
      localAddresses: localAddresses(),
      ...(guard ? { protectedPeer: (ip: string) => guard(ip) } : {}),
      onVerdict: (v) => {
        // Attacks are kept for reports, except those of allowed addresses.
        if (this.d.lists().check(v.ip).status !== 'allowed') this.enforcer.attack(v, this.d.country(v.ip));
      },
      // OBSERVE: recorded and published, never enforced (the engine never returns these).
      onObserve: (d) => this.enforcer.observe(d),
      // Breach, distributed guessing, watched calls: the daemon logs them and tells the
      // webhooks and the mail at once (daemon/ops.ts).
      onAlert: (a) => this.d.alerted(a),
    });
  }
}

/** A firewall for the warm-up's enforcer: accepts everything, changes nothing. */
const NOWHERE: EnforcerDeps['firewall'] = new Proxy({} as EnforcerDeps['firewall'], {
  get: () => async () => undefined,
});
