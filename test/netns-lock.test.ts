/**
 * Issue 10 item 12: two daemons in one network namespace share `table inet sipprot` —
 * a second one (another STATE_DIR) wiped the first one's blocks at start and deleted the
 * table when it stopped. Now the second refuses to start, naming the first (pid,
 * STATE_DIR, config), and the first's table is untouched; a daemon in another namespace
 * starts fine (the lock is per namespace). Real `sipprotd run` processes, real nft,
 * inside namespaces this test creates.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { HttpAdmin } from '../src/admin/http-admin.js';
import { loadConfig } from '../src/config/load.js';
import { Daemon } from '../src/daemon/daemon.js';
import { FakeFirewall } from '../src/firewall/firewall.fake.js';
import { NftablesFirewall } from '../src/firewall/nftables.js';
import { runtimePaths } from '../src/platform/runtime-paths.js';
import { createPair, type Netns } from './netns.testkit.js';

const SIPPROTD = fileURLToPath(new URL('./e2e/bin/sipprotd.ts', import.meta.url));
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function conf(dir: string, name: string): string {
  const path = join(dir, `${name}.conf`);
  writeFileSync(
    path,
    `STATE_DIR=${dir}/${name}-state\nWEB_LISTEN=off\nINTERFACES=lo\nALLOWLIST_FILE=${name}.allowlist\nDENYLIST_FILE=${name}.denylist\n`,
    { mode: 0o600 },
  );
  return path;
}

describe('one daemon per network namespace', () => {
  let a: Netns;
  let b: Netns;
  let destroy: () => Promise<void>;
  let dir: string;

  before(async () => {
    ({ a, b, destroy } = await createPair('lock'));
    dir = mkdtempSync(join(tmpdir(), 'sipprot-lock-'));
  });
  after(async () => {
    await destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('in-process: the second start is refused naming the first; after it stops the namespace is free', async () => {
    const name = `sipprot-test-lock-${process.pid}`;
    const quiet = { capture: false, logger: pino({ level: 'silent' }), netnsLock: name } as const;
    const c1 = loadConfig({ path: conf(dir, 'one') });
    const first = await Daemon.start(c1, { ...quiet, firewall: new FakeFirewall() });
    try {
      await assert.rejects(
        Daemon.start(loadConfig({ path: conf(dir, 'two') }), { ...quiet, firewall: new FakeFirewall() }),
        (e: Error & { code?: string }) => {
          assert.equal(e.code, 'SP_ERR_DAEMON_RUNNING');
          assert.match(
            e.message,
            new RegExp(
              `another sipprotd already runs in this network namespace \\(pid ${process.pid}, STATE_DIR ${dir}/one-state, config ${dir}/one\\.conf\\)`,
            ),
          );
          return true;
        },
      );
      assert.ok(
        (await new HttpAdmin(runtimePaths(c1).socket).status()).daemon.running,
        'the first still serves',
      );
    } finally {
      await first.stop();
    }
    const again = await Daemon.start(loadConfig({ path: conf(dir, 'two') }), {
      ...quiet,
      firewall: new FakeFirewall(),
    });
    await again.stop();
  });

  it('real sipprotd processes with real nft: the second exits naming the first; the first table and blocks stay', async () => {
    const one = conf(dir, 'n1');
    writeFileSync(join(dir, 'n1.denylist'), '198.51.100.7 first daemon\n');
    const first: ChildProcess = a.spawn([
      process.execPath,
      '--import',
      'tsx',
      SIPPROTD,
      '--config',
      one,
      'run',
    ]);
    let firstLog = '';
    first.stderr?.on('data', (d) => (firstLog += d));
    first.stdout?.on('data', (d) => (firstLog += d));
    try {
      const sock = runtimePaths(loadConfig({ path: one })).socket;
      const deadline = Date.now() + 90_000;
      for (;;) {
        const ok = await new HttpAdmin(sock).status().then(
          () => true,
          () => false,
        );
        if (ok) break;
        assert.ok(Date.now() < deadline, `the first daemon did not start: ${firstLog}`);
        await sleep(200);
      }
      const fw = new NftablesFirewall({ command: a.command('nft') });
      assert.deepEqual((await fw.snapshot()).deny, ['198.51.100.7']);
      const second = await a.exec(
        [process.execPath, '--import', 'tsx', SIPPROTD, '--config', conf(dir, 'n2'), 'run'],
        {
          allowFail: true,
          timeoutMs: 30_000,
        },
      );
      assert.equal(second.code, 1);
      assert.match(
        second.stderr,
        new RegExp(
          `another sipprotd already runs in this network namespace \\(pid ${first.pid}, STATE_DIR ${dir}/n1-state`,
        ),
      );
      assert.deepEqual((await fw.snapshot()).deny, ['198.51.100.7'], "the first daemon's table is untouched");
      // Another namespace is another scope: a daemon there starts.
      const other = await b.exec(
        [
          process.execPath,
          '--import',
          'tsx',
          '-e',
          `import('${fileURLToPath(new URL('../src/platform/netns-lock.ts', import.meta.url))}').then(async (m) => { const l = await m.claimNetnsLock({ pid: process.pid, stateDir: 'x', config: null }); await l.release(); console.log('free'); })`,
        ],
        { allowFail: true },
      );
      assert.match(other.stdout, /free/, other.stderr);
    } finally {
      if (first.exitCode === null && first.signalCode === null) {
        const gone = new Promise((r) => first.once('exit', r));
        first.kill('SIGTERM');
        await gone;
      }
    }
  });
});
