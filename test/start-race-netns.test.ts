/**
 * Issue 15, the start race: `sipprotd run` writes its PID file first, then opens the store,
 * checks nft, reads the lists and geo-IP, reconciles and warms up, and only then serves its
 * socket. A `sipprot deny add` in between found a PID but no answer and wrote the list file
 * and the store itself, behind the back of a daemon that had already read them: the entry
 * never reached the kernel until the next reload. Now the command waits for the starting
 * daemon (said on stderr) and the entry goes through the daemon into the kernel at once.
 * A real `sipprotd run` with real nft in a network namespace this test creates.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { HttpAdmin } from '../src/admin/http-admin.js';
import { main as sipprot } from '../src/cli/sipprot.js';
import { loadConfig } from '../src/config/load.js';
import { NftablesFirewall } from '../src/firewall/nftables.js';
import { readPid } from '../src/platform/pid-file.js';
import { runtimePaths } from '../src/platform/runtime-paths.js';
import { Netns } from './netns.testkit.js';

const SIPPROTD = fileURLToPath(new URL('./e2e/bin/sipprotd.ts', import.meta.url));
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe('a command issued while sipprotd starts', () => {
  let ns: Netns;
  let dir: string;
  before(async () => {
    ns = await Netns.create('house-race');
    dir = mkdtempSync(join(tmpdir(), 'sipprot-race-'));
  });
  after(async () => {
    await ns.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('waits for the daemon and reaches the kernel through it (never the files behind its back)', async () => {
    const conf = join(dir, 'sipprot.conf');
    writeFileSync(conf, `STATE_DIR=${dir}/state\nWEB_LISTEN=off\nINTERFACES=lo\n`, { mode: 0o600 });
    writeFileSync(join(dir, 'sipprot.denylist'), '');
    const paths = runtimePaths(loadConfig({ path: conf }));
    const daemon = ns.spawn([process.execPath, '--import', 'tsx', SIPPROTD, '--config', conf, 'run']);
    let log = '';
    daemon.stdout?.on('data', (d) => (log += d));
    daemon.stderr?.on('data', (d) => (log += d));
    // The moment the PID file names the daemon: before its socket serves.
    const deadline = Date.now() + 60_000;
    while (readPid(paths.pidFile) === null) {
      assert.ok(
        Date.now() < deadline && daemon.exitCode === null,
        `sipprotd did not write its PID file: ${log}`,
      );
      await sleep(5);
    }
    const answeredAtPid = await new HttpAdmin(paths.socket).status().then(
      () => true,
      () => false,
    );
    assert.equal(answeredAtPid, false, 'the race window exists: PID file written, socket not serving yet');
    let out = '';
    let err = '';
    const code = await sipprot(['--config', conf, 'deny', 'add', '198.51.100.9', 'added while starting'], {
      out: (s) => (out += s),
      err: (s) => (err += s),
    });
    assert.equal(code, 0, `${out}${err}\n${log}`);
    assert.match(err, /sipprotd \(pid \d+\) is starting: waiting up to 30 s for it to answer/);
    assert.match(out, /added 198\.51\.100\.9 to the deny list/);
    // Through the daemon: in the kernel at once, and in the list file the daemon wrote.
    const fw = new NftablesFirewall({ command: ns.command('nft') });
    assert.deepEqual((await fw.snapshot()).deny, ['198.51.100.9']);
    assert.match(readFileSync(join(dir, 'sipprot.denylist'), 'utf8'), /198\.51\.100\.9/);
    daemon.kill('SIGTERM');
    await new Promise((r) => daemon.once('exit', r));
  });
});
