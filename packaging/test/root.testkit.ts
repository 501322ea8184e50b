/**
 * A clean Debian 12 for the install tests that leaves the host untouched: the cached base
 * root (base-root.sh: minbase + systemd + Node 20, ~700 MB, built once) under an overlay,
 * so a test writes only its own upper layer (~60 MB), inside a network namespace from
 * test/netns.testkit.ts (no route anywhere: nft and capture see only the namespace).
 * Two ways to run commands in it:
 * - chroot (the default): `ip netns exec NS unshare -m chroot ROOT ...`, /proc mounted in
 *   a private mount namespace that vanishes with the command. This is the sysvinit path:
 *   postinst starts the daemon with invoke-rc.d (a policy-rc.d that allows it stands in
 *   for a booted init, which a chroot does not have).
 * - booted: `boot()` starts systemd as PID 1 of the root in systemd-nspawn, in the same
 *   network namespace (--network-namespace-path); postinst then sees a running systemd
 *   and enables and starts the real unit with its sandbox. Commands run through nsenter.
 * destroy(): stop the container, kill (by PID) every process left in the root, delete the
 * namespace, unmount the overlay, delete the layer. Layers of a test process that died
 * without cleaning up are removed by the next run (removeStaleLayers).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ExecOptions, type ExecResult, type Netns, run } from '../../test/netns.testkit.js';

export const CACHE = process.env.SIPPROT_TEST_CACHE ?? '/var/cache/sipprot-test';
const BASE_SCRIPT = fileURLToPath(new URL('./base-root.sh', import.meta.url));
const LAYERS = join(CACHE, 'layers');
const ENV = [
  'env',
  '-i',
  'PATH=/usr/sbin:/usr/bin:/sbin:/bin',
  'DEBIAN_FRONTEND=noninteractive',
  'LANG=C.UTF-8',
];
let counter = 0;

/** The cached base root, built on first use (flock: one build at a time). */
export async function baseRoot(): Promise<string> {
  mkdirSync(CACHE, { recursive: true });
  const r = await run(['flock', join(CACHE, '.lock'), 'bash', BASE_SCRIPT, CACHE], {
    timeoutMs: 15 * 60_000,
  });
  return r.stdout.trim().split('\n').pop()!;
}

/** PIDs whose root directory is `dir` (processes chrooted into it). */
function processesIn(dir: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readlinkSync(`/proc/${name}/root`) === dir) out.push(Number(name));
    } catch {
      /* gone, or not ours to read */
    }
  }
  return out;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function unmount(dir: string): Promise<void> {
  for (let i = 0; i < 10; i++) {
    if ((await run(['umount', dir], { allowFail: true })).code === 0) return;
    if (!readFileSync('/proc/self/mountinfo', 'utf8').includes(` ${dir} `)) return;
    await sleep(200);
  }
  await run(['umount', '-l', dir], { allowFail: true });
}

/** Unmounts and deletes layers whose test process is gone (killed before its finally). */
export async function removeStaleLayers(): Promise<void> {
  if (!existsSync(LAYERS)) return;
  for (const name of readdirSync(LAYERS)) {
    const pid = Number(/^(\d+)-/.exec(name)?.[1]);
    if (!pid || pid === process.pid || alive(pid)) continue;
    const merged = join(LAYERS, name, 'merged');
    for (const p of processesIn(merged)) process.kill(p, 'SIGKILL');
    await unmount(merged);
    rmSync(join(LAYERS, name), { recursive: true, force: true });
  }
}

export class TestRoot {
  private container: ChildProcess | null = null;
  private init = 0;
  private destroyed = false;

  private constructor(
    readonly ns: Netns,
    private readonly layer: string,
    /** The root as the host sees it. */
    readonly dir: string,
  ) {}

  /** A fresh root on `base` whose commands run in `ns`. */
  static async create(base: string, ns: Netns): Promise<TestRoot> {
    const layer = join(LAYERS, `${process.pid}-${++counter}`);
    for (const d of ['upper', 'work', 'merged']) mkdirSync(join(layer, d), { recursive: true });
    const merged = join(layer, 'merged');
    const opts = `lowerdir=${base},upperdir=${join(layer, 'upper')},workdir=${join(layer, 'work')}`;
    await run(['mount', '-t', 'overlay', 'overlay', '-o', opts, merged]);
    return new TestRoot(ns, layer, merged);
  }

  /** A path inside the root, as the host sees it. */
  path(p: string): string {
    return join(this.dir, p);
  }

  /** Runs argv inside the root (chroot, or the booted container) in the namespace. */
  exec(argv: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    if (this.init) return run(['nsenter', '-t', String(this.init), '-a', '--', ...ENV, ...argv], opts);
    const script = 'mount -t proc proc "$0/proc" && exec chroot "$0" "$@"';
    return this.ns.exec(
      ['unshare', '-m', '--propagation', 'private', 'sh', '-c', script, this.dir, ...ENV, ...argv],
      {
        timeoutMs: 120_000,
        ...opts,
      },
    );
  }

  /** Boots systemd in the root (systemd-nspawn in the namespace); resolves once booted. */
  async boot(): Promise<void> {
    const nspawn = spawn(
      'systemd-nspawn',
      [
        '--quiet',
        '--boot',
        `--directory=${this.dir}`,
        `--machine=sptest-pkg-${process.pid}-${counter}`,
        `--network-namespace-path=/run/netns/${this.ns.name}`,
        // nspawn grants these only with --private-network; the namespace is ours alone.
        '--capability=CAP_NET_ADMIN,CAP_NET_RAW',
        '--register=no',
        '--keep-unit',
        '--console=passive',
        '--link-journal=no',
        '--resolv-conf=off',
        '--timezone=off',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    this.container = nspawn;
    let stderr = '';
    nspawn.stderr!.on('data', (d) => {
      stderr += String(d);
    });
    // nspawn's child sets the container up, then execs systemd: wait for that exec, then
    // for the boot. Early on systemctl answers "offline" (PID 1 is not systemd yet) or
    // cannot reach systemd's socket yet: ask again.
    const deadline = Date.now() + 60_000;
    let last = '';
    for (;;) {
      if (nspawn.exitCode !== null) throw new Error(`systemd-nspawn exited: ${stderr}`);
      if (Date.now() > deadline) throw new Error(`the container did not boot: ${last} ${stderr}`);
      const child = childOf(nspawn.pid!);
      if (child && comm(child) === 'systemd') {
        this.init = child;
        const r = await this.exec(['systemctl', 'is-system-running', '--wait'], {
          allowFail: true,
          timeoutMs: 60_000,
        });
        const state = r.stdout.trim();
        if (state === 'running' || state === 'degraded') return;
        last = `${state} ${r.stderr.trim()}`;
        this.init = 0;
      }
      await sleep(200);
    }
  }

  /** Kills what runs in the root, deletes the namespace, unmounts and deletes the layer. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    await this.stopContainer();
    for (const pid of processesIn(this.dir)) process.kill(pid, 'SIGKILL');
    await this.ns.destroy();
    await unmount(this.dir);
    rmSync(this.layer, { recursive: true, force: true });
  }

  private async stopContainer(): Promise<void> {
    const c = this.container;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    // nspawn halts the container on the first SIGTERM and terminates it on the second.
    c.kill('SIGTERM');
    const halted = await Promise.race([exited.then(() => true), sleep(10_000).then(() => false)]);
    if (!halted) {
      c.kill('SIGTERM');
      await Promise.race([exited, sleep(5_000)]);
    }
    if (this.init && alive(this.init)) process.kill(this.init, 'SIGKILL');
    if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    this.init = 0;
  }
}

function comm(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

/** The first child process of `pid` (the container's systemd under nspawn). */
function childOf(pid: number): number | null {
  try {
    const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    return kids ? Number(kids.split(/\s+/)[0]) : null;
  } catch {
    return null;
  }
}
