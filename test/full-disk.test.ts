/**
 * Issue 10 item 13 for real: STATE_DIR on a tiny tmpfs that is filled up, mounted in a
 * private mount namespace (unshare -m --propagation private: nothing leaks to the host),
 * a real sipprotd in a network namespace of this test with real nft. A block used to reach
 * nft but not the store and was lost at restart; now it waits in memory (status says so),
 * is saved once space is back, and a restart restores it into the kernel.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { NftablesFirewall } from '../src/firewall/nftables.js';
import { createPair, type Netns, run } from './netns.testkit.js';

const SIPPROTD = fileURLToPath(new URL('./e2e/bin/sipprotd.ts', import.meta.url));
const SIPPROT = fileURLToPath(new URL('./e2e/bin/sipprot.ts', import.meta.url));
const HEP = fileURLToPath(new URL('./e2e/bin/send-hep-scanner.ts', import.meta.url));
const ATTACKERS = ['203.0.113.50', '203.0.113.51', '203.0.113.52'];
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe('a full STATE_DIR loses no block (tmpfs in a private mount namespace, nft in a netns)', () => {
  let a: Netns;
  let destroy: () => Promise<void>;
  let dir: string;
  let state: string;
  let conf: string;
  let holder: ChildProcess;
  let daemon: ChildProcess | null = null;
  let daemonLog = '';

  /** A command inside the holder's mount namespace and the test's network namespace. */
  const inside = (argv: string[], allowFail = false) =>
    run(['nsenter', '-t', String(holder.pid), '-m', '-n', `--wd=${process.cwd()}`, ...argv], {
      allowFail,
      timeoutMs: 60_000,
    });
  const status = async () =>
    JSON.parse(
      (await inside([process.execPath, '--import', 'tsx', SIPPROT, '--config', conf, 'status', '--json']))
        .stdout,
    );

  async function startDaemon(): Promise<void> {
    daemonLog = '';
    daemon = spawn(
      'nsenter',
      [
        '-t',
        String(holder.pid),
        '-m',
        '-n',
        `--wd=${process.cwd()}`,
        process.execPath,
        '--import',
        'tsx',
        SIPPROTD,
        '--config',
        conf,
        'run',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    daemon.stdout?.on('data', (d) => (daemonLog += d));
    daemon.stderr?.on('data', (d) => (daemonLog += d));
    const t0 = Date.now();
    while (!/sipprotd started/.test(daemonLog)) {
      assert.ok(daemon.exitCode === null, `sipprotd exited: ${daemonLog}`);
      assert.ok(Date.now() - t0 < 90_000, `sipprotd did not start: ${daemonLog}`);
      await sleep(200);
    }
  }

  async function stopDaemon(): Promise<void> {
    if (!daemon || daemon.exitCode !== null) return;
    const gone = new Promise((r) => daemon!.once('exit', r));
    daemon.kill('SIGTERM');
    await gone;
  }

  const kernelDynamic = async () =>
    (await new NftablesFirewall({ command: a.command('nft') }).snapshot()).dynamic.map((d) => d.ip).sort();

  before(async () => {
    ({ a, destroy } = await createPair('disk'));
    dir = mkdtempSync(join(tmpdir(), 'sipprot-disk-'));
    state = join(dir, 'state');
    mkdirSync(state, { mode: 0o700 });
    conf = join(dir, 'sipprot.conf');
    writeFileSync(
      conf,
      `STATE_DIR=${state}\nWEB_LISTEN=off\nINTERFACES=lo\nHEP_LISTEN=127.0.0.1:9060\nBLOCKTIME=900\n`,
      { mode: 0o600 },
    );
    holder = a.spawn([
      'unshare',
      '-m',
      '--propagation',
      'private',
      'sh',
      '-c',
      `mount -t tmpfs -o size=3m,mode=0700 sipprot-test ${state} && echo mounted && exec sleep 600`,
    ]);
    let out = '';
    holder.stdout?.on('data', (d) => (out += d));
    for (let i = 0; i < 100 && !/mounted/.test(out); i++) await sleep(50);
    assert.match(out, /mounted/);
  });
  after(async () => {
    await stopDaemon();
    holder?.kill('SIGKILL');
    await destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('blocks stay in force while the store is full, are saved when space is back, and survive a restart', async () => {
    await startDaemon();
    // Fill the tmpfs (dd stops at ENOSPC).
    await inside(['dd', 'if=/dev/zero', `of=${state}/filler`, 'bs=64k'], true);
    await inside([process.execPath, '--import', 'tsx', HEP, '127.0.0.1', '9060', ...ATTACKERS]);
    for (let i = 0; i < 100 && (await kernelDynamic()).length < 3; i++) await sleep(100);
    assert.deepEqual(await kernelDynamic(), ATTACKERS, 'the kernel blocks them at once');
    let s = await status();
    for (let i = 0; i < 50 && !(s.live?.protection?.store?.pending > 0); i++) {
      await sleep(100);
      s = await status();
    }
    assert.ok(s.live.protection.store.pending > 0, JSON.stringify(s.live?.protection));
    assert.match(s.live.protection.store.lastError, /full|SQLITE_FULL|disk/i);
    assert.match(daemonLog, /STORE FAILING \(STATE_DIR full\?\)/);
    const text = (await inside([process.execPath, '--import', 'tsx', SIPPROT, '--config', conf, 'status']))
      .stdout;
    assert.match(text, /STORE FAILING since .*: \d+ decisions wait in memory/);

    await inside(['rm', '-f', `${state}/filler`]);
    for (let i = 0; i < 150 && (await status()).live.protection.store.pending > 0; i++) await sleep(100);
    assert.equal((await status()).live.protection.store.pending, 0, 'the store caught up');
    assert.match(daemonLog, /store caught up/);

    await stopDaemon();
    assert.deepEqual(await kernelDynamic().catch(() => []), [], 'stop removed the table');
    await startDaemon();
    assert.deepEqual(await kernelDynamic(), ATTACKERS, 'restored from the store at restart');
  });
});
