/**
 * Issue 15: stop must remove sipprot's table even when the long-lived `nft -i` helper (the
 * block path without the netlink addon) has died: SIGKILLed by an admin, the OOM killer, a
 * crash. The daemon's stop then runs a fresh `nft` (argv, never a shell), and an uninstall
 * leaves no rule behind. A real daemon with real nft in a network namespace this test creates.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { parseConfig } from '../src/core/config/parse.js';
import { Daemon } from '../src/daemon/daemon.js';
import { answer, PBX, RAW_IP, register } from '../src/daemon/frames.testkit.js';
import { NftablesFirewall } from '../src/firewall/nftables.js';
import { Netns } from './netns.testkit.js';

/** Our own children running `nft -i` (found by parent PID, killed by PID: never by name). */
function nftHelpers(): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const argv = readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0');
      if (ppid === process.pid && argv[0]?.endsWith('nft') && argv.includes('-i')) out.push(Number(e));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe('stop after the nft -i helper died', () => {
  let ns: Netns;
  let dir: string;
  before(async () => {
    ns = await Netns.create('house-nft');
    dir = mkdtempSync(join(tmpdir(), 'sipprot-nft-helper-'));
  });
  after(async () => {
    await ns.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  async function startDaemon(name: string): Promise<Daemon> {
    const conf = join(dir, `${name}.conf`);
    writeFileSync(
      conf,
      `STATE_DIR=${dir}/${name}\nHIT_COUNT=3\nWEB_LISTEN=off\nDENYLIST_FILE=${name}.deny\n`,
    );
    writeFileSync(join(dir, `${name}.deny`), '198.51.100.0/24 a deny entry\n');
    return Daemon.start(parseConfig(readFileSync(conf, 'utf8'), { source: conf }), {
      // A custom nft command without a netns: blocks go through the long-lived `nft -i`.
      firewall: new NftablesFirewall({ command: ns.command('nft') }),
      capture: false,
      logger: pino({ level: 'silent' }),
      netnsLock: `sipprot-test-house-${process.pid}-${name}`,
      hostFacts: () => ({ own: [{ ip: PBX, iface: 'eth0' }], resolvers: [], gateways: [], sshPeers: [] }),
    });
  }

  /** Three failed REGISTERs: a dynamic block through `nft -i`, which starts the helper. */
  async function block(daemon: Daemon, ip: string): Promise<void> {
    const t = Date.now() / 1000;
    for (let i = 0; i < 3; i++) {
      const id = `c${ip}-${i}`;
      daemon.packets.onFrame(RAW_IP, t + i * 0.01, register(ip, 5070, id, 1, true));
      daemon.packets.onFrame(RAW_IP, t + i * 0.01 + 0.001, answer(ip, 5070, id, 1, '401 Unauthorized'));
    }
    await daemon.settle();
  }

  const tables = async () => (await ns.exec(['nft', 'list', 'tables'])).stdout;
  const snapshot = () => new NftablesFirewall({ command: ns.command('nft') }).snapshot();

  for (const when of ['idle', 'with a block in flight'] as const) {
    it(`the helper SIGKILLed (${when}): stop still removes table inet sipprot`, async () => {
      const daemon = await startDaemon(when === 'idle' ? 'a' : 'b');
      try {
        await block(daemon, '203.0.113.5');
        assert.deepEqual(
          (await snapshot()).dynamic.map((d) => d.ip),
          ['203.0.113.5'],
        );
        const helpers = nftHelpers();
        assert.equal(helpers.length, 1, 'one nft -i helper runs');
        process.kill(helpers[0]!, 'SIGKILL');
        if (when === 'idle') await sleep(200);
        else void block(daemon, '203.0.113.6').catch(() => undefined);
      } finally {
        await daemon.stop();
      }
      assert.doesNotMatch(await tables(), /sipprot/, 'no table of ours is left');
      assert.deepEqual(nftHelpers(), [], 'no helper is left running');
    });
  }
});
