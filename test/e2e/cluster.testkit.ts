/**
 * A cluster of real sipprotd hosts in network namespaces (root), for the cluster e2e test,
 * the demo and the propagation bench:
 *
 *   lab PBX (sp-ID-pbx, Kamailio) ─┐                          attacker (sp-ID-atk) attacks
 *   host b  (sptest-clb-PID-n)    ─┼─ veth ── redis (sptest-clr-PID-n, redis-server)   the lab PBX
 *   host c  (sptest-clc-PID-n)    ─┘   10.201.<i>.0/24: host .2, redis .1
 *
 * Each host runs the real daemon (Guard: `sipprotd run` with its own temp dir) with
 * CLUSTER_REDIS_URL pointing at the redis namespace over its own link, so a link can be
 * cut (`partition`) without touching the others. redis-server requires a password and runs
 * with appendonly + fsync always (a stop and restart keeps the stream, as in production).
 * Nothing leaves the namespaces; `down()` kills what it started by PID and deletes them.
 */

import { RedisServer } from '../../src/cluster/redis-server.testkit.js';
import { Lab } from '../lab/lab.testkit.js';
import { Netns } from '../netns.testkit.js';
import { Guard, type GuardHost, type Result, run, type Settings, waitFor } from './guard.testkit.js';

export const REDIS_PASSWORD = 'cluster-e2e-secret';
export const REDIS_PORT = 6390;

/** A namespace that a Guard can run in, like the lab's PBX. */
export function hostOf(ns: Netns, id: string): GuardHost {
  return {
    id,
    ns: { pbx: ns.name },
    exec: (_which, argv, timeoutMs) => run(ns.command(...argv), timeoutMs),
  };
}

export interface ClusterLabOptions {
  /** Settings for every host (HIT_COUNT, BLOCKTIME...). */
  settings?: Settings;
  /** Hosts besides the lab's PBX (default 2). */
  extraHosts?: number;
  /** Start the daemons (default true). */
  start?: boolean;
}

export class ClusterLab {
  readonly guards: Guard[] = [];
  readonly names: string[] = [];
  private constructor(
    readonly lab: Lab,
    readonly redisNs: Netns,
    readonly hostNs: Netns[],
    readonly redis: RedisServer,
  ) {}

  static async up(o: ClusterLabOptions = {}): Promise<ClusterLab> {
    const lab = await Lab.up();
    const made: Netns[] = [];
    let c: ClusterLab | undefined;
    try {
      const redisNs = await Netns.create('clr');
      made.push(redisNs);
      const hostNs: Netns[] = [];
      for (let i = 0; i < (o.extraHosts ?? 2); i++) {
        const ns = await Netns.create(`cl${String.fromCharCode(98 + i)}`);
        made.push(ns);
        hostNs.push(ns);
      }
      const nsNames = [lab.ns.pbx, ...hostNs.map((n) => n.name)];
      for (const [i, name] of nsNames.entries()) await link(name, redisNs.name, i + 1);
      const redis = await RedisServer.start({
        port: REDIS_PORT,
        bind: '0.0.0.0',
        prefix: redisNs.command(),
        password: REDIS_PASSWORD,
        persist: true,
      });
      c = new ClusterLab(lab, redisNs, hostNs, redis);
      const hosts: GuardHost[] = [lab, ...hostNs.map((n, i) => hostOf(n, `${lab.id}h${i}`))];
      for (const [i, h] of hosts.entries()) {
        const name = `pbx-${String.fromCharCode(97 + i)}`;
        c.names.push(name);
        c.guards.push(
          await Guard.create(h, {
            CLUSTER_REDIS_URL: `redis://:${REDIS_PASSWORD}@10.201.${i + 1}.1:${REDIS_PORT}`,
            CLUSTER_HOST_ID: name,
            ...o.settings,
          }),
        );
      }
      if (o.start !== false) await Promise.all(c.guards.map((g) => g.start()));
      return c;
    } catch (e) {
      // A failed start (a daemon too slow on a loaded machine) still stops what it began
      // and removes the guards' temp dirs and Redis's.
      for (const g of c?.guards ?? []) await g.dispose().catch(() => undefined);
      await c?.redis.dispose();
      for (const ns of made) await ns.destroy();
      await lab.down();
      throw e;
    }
  }

  /** Cuts (or heals) host i's link to Redis: a partition of that host alone. */
  async partition(i: number, cut: boolean): Promise<void> {
    await this.execIn(i, ['ip', 'link', 'set', `cl${i + 1}`, cut ? 'down' : 'up']);
  }

  execIn(i: number, argv: string[]): Promise<Result> {
    const ns = i === 0 ? this.lab.ns.pbx : this.hostNs[i - 1]!.name;
    return run(['ip', 'netns', 'exec', ns, ...argv]);
  }

  /** Waits until every host's kernel shows (or no longer shows) `ip` in the sets of `kind`. */
  async waitEverywhere(
    what: string,
    kind: 'dyn' | 'deny' | 'allow',
    ip: string,
    present = true,
    ms = 15_000,
  ) {
    await waitFor(
      `${what} on every host`,
      async () => {
        for (const g of this.guards) if ((await g.kernelSet(kind)).has(ip) !== present) return false;
        return true;
      },
      ms,
      50,
    );
  }

  /** `sipprot cluster status --json`-like view over host i's socket. */
  async status(i: number): Promise<Record<string, unknown>> {
    const r = await this.guards[i]!.cli('status', '--json');
    if (r.code !== 0) throw new Error(`status on ${this.names[i]} failed: ${r.stderr}`);
    return JSON.parse(r.stdout) as Record<string, unknown>;
  }

  async down(): Promise<void> {
    for (const g of this.guards) await g.dispose().catch(() => undefined);
    await this.redis.dispose();
    for (const ns of [this.redisNs, ...this.hostNs]) await ns.destroy();
    await this.lab.down();
  }
}

/** A veth `cl<n>` between a host namespace and the redis namespace: 10.201.n.2 ↔ 10.201.n.1. */
export async function link(host: string, redis: string, n: number): Promise<void> {
  const dev = `cl${n}`;
  await run(['ip', 'link', 'add', dev, 'netns', host, 'type', 'veth', 'peer', 'name', dev, 'netns', redis]);
  for (const [ns, addr] of [
    [host, `10.201.${n}.2/24`],
    [redis, `10.201.${n}.1/24`],
  ] as const) {
    const r = await run(['ip', 'netns', 'exec', ns, 'ip', 'addr', 'add', addr, 'dev', dev]);
    if (r.code !== 0) throw new Error(`ip addr add ${addr} in ${ns}: ${r.stderr}`);
    await run(['ip', 'netns', 'exec', ns, 'ip', 'link', 'set', dev, 'up']);
  }
}
