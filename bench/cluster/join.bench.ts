/**
 * A new host joining a fleet whose deny list holds 100k entries (issue 14: ≤ 5 s), in one
 * process so it can be profiled: real redis-server, real nftables, one real daemon (the
 * joining host), all inside a network namespace this script creates (it re-runs itself
 * there; nothing touches the root namespace's nftables). Root only.
 * Run: node --import tsx bench/cluster/join.bench.ts [--deny 100000] [--cpu-prof] [--import] [--verbose]
 *
 * The fleet's list is published straight into Redis by a bus acting as host pbx-a (10
 * events of 10k entries, what `sipprot deny import` on a would send). Then the daemon of
 * pbx-d starts with an empty state and the clock runs from `Daemon.start` to the kernel
 * holding every entry (the firewall's log line "firewall list replaced", then checked
 * once with `nft list set`). Prints the steps of the join the daemon logged. No warm-up.
 * `--import`: instead, the time `sipprot deny import` of the list takes on a host of the
 * fleet (the daemon of pbx-a, through its admin socket, until the kernel holds it).
 * `--cpu-prof`: the child runs under `node --cpu-prof` (profile in a new directory under
 * the system's temp directory, printed), summarised by bench/cpu-profile.ts.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { ClusterEvent } from '../../src/core/cluster/events.js';
import type { Daemon as DaemonT } from '../../src/daemon/daemon.js';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const DENY = arg('deny', 100_000);
const PROFILE = process.argv.includes('--cpu-prof');
const IMPORT = process.argv.includes('--import');
const VERBOSE = process.argv.includes('--verbose');

/** CPU of this process's finished children (`nft -f` runs), from /proc/self/stat (ticks of 10 ms). */
function childrenCpuMs(): number {
  const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[13]) + Number(f[14])) * 10;
}

async function parent(): Promise<void> {
  const { Netns } = await import('../../test/netns.testkit.js');
  const ns = await Netns.create('c2join');
  const profDir = mkdtempSync(join(tmpdir(), 'sipprot-join-profile-'));
  try {
    const argv = [
      ...(PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : []),
      '--import',
      'tsx',
      new URL(import.meta.url).pathname,
      ...process.argv.slice(2),
    ];
    const child = spawn('ip', ['netns', 'exec', ns.name, process.execPath, ...argv], {
      stdio: 'inherit',
      env: { ...process.env, SIPPROT_JOIN_CHILD: '1' },
    });
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    if (code !== 0) throw new Error(`the join run failed (${code})`);
    if (PROFILE) {
      const { summarizeProfile } = await import('../cpu-profile.js');
      // The main thread's profile is the biggest (tsx's loader thread writes one too).
      const { statSync } = await import('node:fs');
      const file = readdirSync(profDir)
        .filter((f) => f.endsWith('.cpuprofile'))
        .sort((a, b) => statSync(join(profDir, b)).size - statSync(join(profDir, a)).size)[0]!;
      const s = summarizeProfile(join(profDir, file), 25);
      console.log(
        `profile ${join(profDir, file)}\nself:\n  ${s.self.join('\n  ')}\ninclusive:\n  ${s.inclusive.join('\n  ')}`,
      );
    }
  } finally {
    await ns.destroy();
  }
}

async function child(): Promise<void> {
  const { RedisServer } = await import('../../src/cluster/redis-server.testkit.js');
  const { RedisBus } = await import('../../src/cluster/redis-bus.js');
  const { EVENT_VERSION } = await import('../../src/core/cluster/events.js');
  const { parseConfig } = await import('../../src/core/config/parse.js');
  const { Daemon } = await import('../../src/daemon/daemon.js');
  const { execFileSync } = await import('node:child_process');
  execFileSync('ip', ['link', 'set', 'lo', 'up']);
  const redis = await RedisServer.start({ persist: false });
  const dir = mkdtempSync(join(tmpdir(), 'sipprot-c2join-'));
  let daemon: DaemonT | null = null;
  try {
    const bus = new RedisBus({ url: redis.url });
    await bus.ready(10_000);
    const at = Date.now() / 1000;
    const entries = Array.from({ length: DENY }, (_, i) => ({
      // Odd host numbers in 100.64.0.0/10: no two adjacent, so the kernel holds DENY elements.
      network: `100.${64 + (i >> 15)}.${(i >> 7) & 255}.${(i & 127) * 2 + 1}`,
      note: 'bench',
    }));
    const events: ClusterEvent[] = [];
    for (let i = 0; i < DENY; i += 10_000)
      events.push({
        v: EVENT_VERSION as 1,
        id: `pbx-a:bench-${i}`,
        host: 'pbx-a',
        at,
        type: 'list' as const,
        list: 'deny' as const,
        op: 'add' as const,
        entries: entries.slice(i, i + 10_000),
      });
    if (!IMPORT) await bus.publish(events);
    await bus.close();
    const conf = join(dir, 'sipprot.conf');
    mkdirSync(join(dir, 'state'));
    writeFileSync(
      conf,
      `STATE_DIR=${join(dir, 'state')}\nWEB_LISTEN=off\nDENYLIST_FILE=${join(dir, 'deny.txt')}\n` +
        `ALLOWLIST_FILE=${join(dir, 'allow.txt')}\nCLUSTER_REDIS_URL=${redis.url}\nCLUSTER_HOST_ID=${IMPORT ? 'pbx-a' : 'pbx-d'}\n`,
    );
    const config = parseConfig(readFileSync(conf, 'utf8'), { source: conf });
    const lines: Array<Record<string, unknown>> = [];
    let done: (() => void) | null = null;
    // Taken when the line is written: the kernel may hold the list before Daemon.start returns.
    let t0 = 0;
    let cpu0 = process.cpuUsage();
    let kids0 = 0;
    let atKernel = { ms: 0, cpu: { user: 0, system: 0 }, kids: 0 };
    const inKernel = new Promise<void>((r) => (done = r));
    const logger = pino(
      { level: 'info' },
      {
        write: (s: string) => {
          const x = JSON.parse(s) as Record<string, unknown>;
          lines.push({ ...x, t: Date.now() });
          if (x.msg === 'firewall list replaced' && x.list === 'deny' && Number(x.ranges) >= DENY) {
            atKernel = { ms: Date.now() - t0, cpu: process.cpuUsage(cpu0), kids: childrenCpuMs() - kids0 };
            done?.();
          }
        },
      },
    );
    console.log(`load average at start: ${loadavg()[0]!.toFixed(2)}`);
    t0 = Date.now();
    cpu0 = process.cpuUsage();
    kids0 = childrenCpuMs();
    daemon = await Daemon.start(config, { configPath: conf, capture: false, logger, kernelWatch: false });
    const up = Date.now() - t0;
    if (IMPORT) {
      const { HttpAdmin } = await import('../../src/admin/http-admin.js');
      const { runtimePaths } = await import('../../src/platform/runtime-paths.js');
      const admin = new HttpAdmin(runtimePaths(config).socket);
      const csv = ['network,note', ...entries.map((x) => `${x.network},${x.note}`)].join('\n');
      const t1 = Date.now();
      const c1 = process.cpuUsage();
      await admin.importCsv('deny', csv, { skipInvalid: false });
      const answered = Date.now() - t1;
      await inKernel;
      const c = process.cpuUsage(c1);
      console.log(
        `deny import of ${DENY} on a host of the fleet: answered in ${answered} ms, in the kernel after ` +
          `${Date.now() - t1} ms (CPU ${Math.round((c.user + c.system) / 1000)} ms)`,
      );
      return;
    }
    await Promise.race([
      inKernel,
      new Promise((_, rej) => setTimeout(() => rej(new Error('not in the kernel within 120 s')), 120_000)),
    ]);
    const { ms: total, cpu, kids } = atKernel;
    const out = execFileSync('nft', ['list', 'table', 'inet', 'sipprot'], {
      maxBuffer: 256 << 20,
    }).toString();
    const inSet = (out.match(/100\.\d+\.\d+\.\d+/g) ?? []).length;
    // The resync logs its steps once the list is applied (after the kernel load): wait for it.
    for (let i = 0; i < 100 && !lines.some((l) => l.msg === 'cluster: in sync with the fleet'); i++)
      await new Promise((r) => setTimeout(r, 50));
    const sync = lines.find((l) => l.msg === 'cluster: in sync with the fleet');
    console.log(
      `${DENY}-entry deny list reached a new host: ${total} ms from Daemon.start to the kernel ` +
        `(daemon up after ${up} ms; CPU ${Math.round((cpu.user + cpu.system) / 1000)} ms + nft processes ${kids} ms; ` +
        `resync ${String(sync?.ms)} ms, steps ${JSON.stringify(sync?.steps)}; ${inSet} addresses in the kernel)`,
    );
    if (inSet < DENY) throw new Error(`only ${inSet} of ${DENY} in the kernel`);
    for (const l of lines)
      if (VERBOSE || /cluster|firewall|list|warmed|started/.test(String(l.msg)))
        console.log(
          `  +${(l.t as number) - t0} ms ${String(l.msg)}${typeof l.ms === 'number' ? ` (${l.ms} ms)` : ''}`,
        );
  } finally {
    await daemon?.stop().catch(() => undefined);
    await redis.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

(process.env.SIPPROT_JOIN_CHILD === '1' ? child() : parent()).then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
