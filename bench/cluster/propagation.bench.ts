/**
 * Cluster propagation (issue 14; root): how long a block decided on one host takes to be in
 * the other hosts' kernels, and how long a 100k-entry deny list takes to reach a new host.
 * Run: node --import tsx bench/cluster/propagation.bench.ts [--single 200] [--burst 1000] [--deny 100000] [--profile DIR]
 * The 100k join alone: `--single 0 --burst 0` (hosts a, b and c still start: a publishes the list).
 *
 * Three real sipprotd hosts (a, b, c) in network namespaces this script creates, one real
 * redis-server (password, appendonly, fsync every second) in a fourth, an attacker namespace linked
 * to host a only. Decisions are real: the attacker sends one OPTIONS with a scanner
 * User-Agent from each of N source addresses, so host a blocks each at its first packet.
 * Clock: `nft monitor` runs in each host's namespace from before the first packet; every
 * element added to dyn4 ("add element" or "create element", bench/nft-monitor.ts) is stamped on arrival by this one process. Propagation of
 * an address = its time in b's (c's) kernel − its time in a's kernel (the decision: a's
 * enforcer changes the kernel in the decision's own call). No warm-up: the first block is
 * measured like the others. Prints one line per result; everything is removed at the end.
 * `--profile DIR`: hosts a, b and c run with bench/live/probe.mjs (1 ms CPU profile, loop lag),
 * one period for the burst alone: DIR/<host>/profile-2.cpuprofile and probe-2.json.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RedisServer } from '../../src/cluster/redis-server.testkit.js';
import { hostOf, link, REDIS_PASSWORD, REDIS_PORT } from '../../test/e2e/cluster.testkit.js';
import { Guard, run, waitFor } from '../../test/e2e/guard.testkit.js';
import { Netns } from '../../test/netns.testkit.js';
import { addedElements } from '../nft-monitor.js';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const SINGLE = arg('single', 200);
const BURST = arg('burst', 1000);
const DENY = arg('deny', 100_000);
const PROFILE_DIR = (() => {
  const i = process.argv.indexOf('--profile');
  return i > 0 ? process.argv[i + 1]! : null;
})();
const ATK_NET = '10.203';
const PBX_A = `${ATK_NET}.0.1`;

/** Sends one scanner OPTIONS from each address, `gapMs` apart (bounded: one packet each). */
const SENDER = `
const dgram = require('node:dgram');
const [addrs, gap, dst] = [process.argv[1].split(','), Number(process.argv[2]), process.argv[3]];
let i = 0;
const next = () => {
  if (i >= addrs.length) return setTimeout(() => process.exit(0), 100);
  const src = addrs[i++];
  const s = dgram.createSocket('udp4');
  s.bind(0, src, () => {
    const m = 'OPTIONS sip:' + dst + ' SIP/2.0\\r\\nVia: SIP/2.0/UDP ' + src + ':5060;branch=z9hG4bK' + i + '\\r\\n' +
      'From: <sip:100@' + src + '>;tag=' + i + '\\r\\nTo: <sip:100@' + dst + '>\\r\\nCall-ID: bench' + i + '\\r\\n' +
      'CSeq: 1 OPTIONS\\r\\nUser-Agent: friendly-scanner\\r\\nContent-Length: 0\\r\\n\\r\\n';
    s.send(m, 5060, dst, () => { s.close(); });
    process.stdout.write(src + ' ' + Date.now() + '\\n');
    if (gap > 0) setTimeout(next, gap); else setImmediate(next);
  });
};
next();
setTimeout(() => process.exit(0), 120000);
`;

class Monitor {
  readonly seen = new Map<string, number>();
  private readonly child: ChildProcess;
  private buf = '';
  constructor(ns: string) {
    this.child = spawn('ip', ['netns', 'exec', ns, 'nft', 'monitor'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    this.child.stdout!.on('data', (d: Buffer) => {
      const now = Date.now();
      this.buf += d.toString();
      const lines = this.buf.split('\n');
      this.buf = lines.pop()!;
      for (const l of lines) {
        const added = addedElements(l);
        if (added?.table !== 'sipprot' || added.set !== 'dyn4') continue;
        for (const ip of added.addresses)
          if (ip.startsWith('10.203.') && !this.seen.has(ip)) this.seen.set(ip, now);
      }
    });
  }
  stop(): void {
    this.child.kill();
  }
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

function report(what: string, addrs: string[], mons: Monitor[]): void {
  const [a, ...others] = mons;
  const prop: number[] = [];
  let missing = 0;
  for (const ip of addrs) {
    const t0 = a!.seen.get(ip);
    if (t0 === undefined) {
      missing++;
      continue;
    }
    for (const m of others) {
      const t = m.seen.get(ip);
      if (t === undefined) missing++;
      else prop.push(t - t0);
    }
  }
  console.log(
    `${what}: ${addrs.length} blocks, ${prop.length} propagations (a → b, a → c): ` +
      `p50 ${pct(prop, 50)} ms, p99 ${pct(prop, 99)} ms, max ${Math.max(...prop)} ms, first ${prop[0]} ms; missing ${missing}`,
  );
}

async function main(): Promise<void> {
  const made: Netns[] = [];
  const guards: Guard[] = [];
  const mons: Monitor[] = [];
  let redis: RedisServer | null = null;
  try {
    const r = await Netns.create('bcr');
    const atk = await Netns.create('bca');
    made.push(r, atk);
    const hosts: Netns[] = [];
    for (const x of ['a', 'b', 'c', 'd']) {
      const ns = await Netns.create(`bc${x}`);
      made.push(ns);
      hosts.push(ns);
    }
    for (const [i, ns] of hosts.entries()) await link(ns.name, r.name, i + 1);
    // The attacker reaches host a only: 10.203.0.1/16 (a) ↔ 10.203.0.2/16 + the sources.
    await run([
      'ip',
      'link',
      'add',
      'atk0',
      'netns',
      hosts[0]!.name,
      'type',
      'veth',
      'peer',
      'name',
      'atk0',
      'netns',
      atk.name,
    ]);
    await hosts[0]!.exec(['ip', 'addr', 'add', `${PBX_A}/16`, 'dev', 'atk0']);
    await hosts[0]!.exec(['ip', 'link', 'set', 'atk0', 'up']);
    const sources: string[] = [];
    for (let i = 0; i < SINGLE + BURST; i++) sources.push(`${ATK_NET}.${1 + (i >> 8)}.${i & 255}`);
    const batch = [
      `addr add ${ATK_NET}.0.2/16 dev atk0`,
      ...sources.map((s) => `addr add ${s}/16 dev atk0`),
      'link set atk0 up',
    ];
    await atk.exec(['ip', '-batch', '-'], { input: `${batch.join('\n')}\n`, timeoutMs: 120_000 });
    redis = await RedisServer.start({
      port: REDIS_PORT,
      bind: '0.0.0.0',
      prefix: r.command(),
      password: REDIS_PASSWORD,
      persist: true,
    });
    for (const [i, ns] of hosts.slice(0, 3).entries()) {
      guards.push(await newGuard(ns, i));
    }
    await Promise.all(
      guards.map((g, i) => {
        // Guard.start spawns at once with process.env: each host its own probe directory.
        if (PROFILE_DIR) probeEnv(join(PROFILE_DIR, `pbx-${String.fromCharCode(97 + i)}`));
        return g.start(120_000);
      }),
    );
    if (PROFILE_DIR) probeEnv(null);
    for (const ns of hosts.slice(0, 3)) mons.push(new Monitor(ns.name));
    await new Promise((res) => setTimeout(res, 1000));
    console.log(`load average at start: ${(await import('node:os')).loadavg()[0]!.toFixed(2)}`);

    const single = sources.slice(0, SINGLE);
    if (SINGLE > 0)
      await atk.exec([process.execPath, '-e', SENDER, single.join(','), '50', PBX_A], { timeoutMs: 120_000 });
    await settle(mons, single);
    if (SINGLE > 0) report(`single blocks, one every 50 ms`, single, mons);

    const burst = sources.slice(SINGLE);
    await probePeriod(guards);
    if (BURST > 0) await blocksBurst(atk, burst, mons);
    await probePeriod(guards);
    if (DENY > 0) await denyToNewHost(guards, hosts[3]!);
  } finally {
    for (const m of mons) m.stop();
    for (const g of guards) await g.dispose().catch(() => undefined);
    if (dGuard) await dGuard.dispose().catch(() => undefined);
    await redis?.dispose();
    for (const ns of made) await ns.destroy();
  }
}

let dGuard: Guard | null = null;

/** Log lines of the joining host whose times (from spawn) the join prints. */
const JOIN_MILESTONES = [
  'firewall table loaded',
  'packet path warmed up',
  'cluster mode',
  'cluster: Redis reachable',
  'sipprotd started',
  'firewall list replaced',
  'cluster: in sync with the fleet',
];

function probeEnv(dir: string | null): void {
  if (dir === null) {
    delete process.env.SIPPROT_BENCH_PROBE;
    delete process.env.SIPPROT_BENCH_PROFILE;
    delete process.env.NODE_OPTIONS;
    return;
  }
  mkdirSync(dir, { recursive: true });
  process.env.SIPPROT_BENCH_PROBE = dir;
  process.env.SIPPROT_BENCH_PROFILE = '1';
  process.env.NODE_OPTIONS = `--import=${new URL('../live/probe.mjs', import.meta.url).pathname}`;
}

/** Closes the probes' current period (SIGUSR2) and gives them a moment to write it. */
async function probePeriod(guards: Guard[]): Promise<void> {
  if (!PROFILE_DIR) return;
  for (const g of guards) g.signal('SIGUSR2');
  await new Promise((res) => setTimeout(res, 3000));
}

async function blocksBurst(atk: Netns, burst: string[], mons: Monitor[]): Promise<void> {
  const t0 = Date.now();
  await atk.exec([process.execPath, '-e', SENDER, burst.join(','), String(1000 / BURST), PBX_A], {
    timeoutMs: 120_000,
  });
  await settle(mons, burst);
  const sentIn = Date.now() - t0;
  const inA = burst.map((ip) => mons[0]!.seen.get(ip)).filter((t) => t !== undefined) as number[];
  console.log(
    `burst sent in ${sentIn} ms (incl. the sender's start); a decided them over ${Math.max(...inA) - Math.min(...inA)} ms`,
  );
  report(`burst of ${BURST} blocks`, burst, mons);
}

function newGuard(ns: Netns, i: number, extra: Record<string, string> = {}): Promise<Guard> {
  return Guard.create(hostOf(ns, `bench${process.pid}h${i}`), {
    CLUSTER_REDIS_URL: `redis://:${REDIS_PASSWORD}@10.201.${i + 1}.1:${REDIS_PORT}`,
    CLUSTER_HOST_ID: `pbx-${String.fromCharCode(97 + i)}`,
    BLOCKTIME: 3600,
    ...extra,
  });
}

async function settle(mons: Monitor[], addrs: string[]): Promise<void> {
  await waitFor(
    'every block in every kernel',
    () => mons.every((m) => addrs.every((ip) => m.seen.has(ip))),
    60_000,
    100,
  ).catch(() => undefined);
}

/** When a guard's kernel first held the whole deny list (its firewall's log line), or null. */
function denyLoadedAt(g: Guard): number | null {
  const r = g.logRecords('firewall list replaced').find((x) => x.list === 'deny' && Number(x.ranges) >= DENY);
  return r ? Number(r.time) : null;
}

/**
 * A 100k-entry deny list put into the fleet by host a; once b and c hold it (the list is the
 * fleet's, nothing else is running), a new host d joins: spawn → the whole list in d's kernel.
 * The list reaches the fleet the way a list file edited while a was stopped does: a stops,
 * its deny file is written, a starts and its first resync publishes the entries (ten events
 * of 10k). Not `sipprot deny import`: that writes one history event per entry on a's main
 * thread (issue 16) and outlasts the CLI's 30 s socket limit on a loaded machine — a cost of
 * the import on one host, not of the fleet. The moment is d's own log line "firewall list
 * replaced" (written when nft returned), so the clock costs d nothing (polling `nft -j list`
 * of 100k elements every 100 ms took a core of this 2-core machine away from the host being
 * measured); one `nft list` checks it after.
 */
async function denyToNewHost(guards: Guard[], d: Netns): Promise<void> {
  const a = guards[0]!;
  const lines: string[] = [];
  // Odd host numbers in 100.64.0.0/10: no two entries adjacent, so none merge into a CIDR and
  // the kernel holds exactly DENY elements (and none near the lab's 10.x addresses).
  for (let i = 0; i < DENY; i++)
    lines.push(`100.${64 + (i >> 15)}.${(i >> 7) & 255}.${(i & 127) * 2 + 1} # bench`);
  await a.stop();
  writeFileSync(a.denyFile, `${lines.join('\n')}\n`);
  let t = Date.now();
  await a.start(120_000);
  console.log(`a restarted with a deny list of ${DENY} in ${Date.now() - t} ms`);
  const peers = guards.slice(1);
  await waitFor('the deny list on b and c', () => peers.every((g) => denyLoadedAt(g) !== null), 300_000, 200);
  const loaded = peers.map((g) => denyLoadedAt(g)! - t);
  console.log(`in b's and c's kernels ${loaded.join(' / ')} ms after a's restart began`);
  await new Promise((res) => setTimeout(res, 2000));
  console.log(`load average before the join: ${(await import('node:os')).loadavg()[0]!.toFixed(2)}`);
  dGuard = await newGuard(d, 3);
  t = Date.now();
  await dGuard.start(120_000);
  const started = Date.now() - t;
  await waitFor('the deny list in the new host’s kernel', () => denyLoadedAt(dGuard!) !== null, 300_000, 100);
  const total = denyLoadedAt(dGuard)! - t;
  const inKernel = (await dGuard.kernelSet('deny', 4)).size;
  // d's own milestones, from spawn: where the time before the list went.
  await waitFor(
    'd’s resync line',
    () => dGuard!.logRecords('cluster: in sync with the fleet').length > 0,
    30_000,
    100,
  ).catch(() => undefined);
  const milestones = JOIN_MILESTONES.map((m) => {
    const r = dGuard!.logRecords(m)[0];
    return r ? `${m} +${Number(r.time) - t}` : `${m} –`;
  });
  console.log(`  d: ${milestones.join('; ')}`);
  const sync = dGuard.logRecords('cluster: in sync with the fleet')[0];
  const snapshotMs = sync?.snapshotMs;
  console.log(
    `${DENY}-entry deny list reached a new host: ${total} ms from spawn to all in its kernel ` +
      `(daemon up after ${started} ms; resync ${String(sync?.ms ?? '?')} ms, snapshot ${String(snapshotMs ?? '?')} ms, ` +
      `steps ${JSON.stringify(sync?.steps)}; ` +
      `${inKernel} in the kernel)`,
  );
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
