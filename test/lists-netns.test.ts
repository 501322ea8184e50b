/**
 * Issue 10 item 9 with real nft in a namespace this test creates: list entries that break
 * the firewall. A start with `0.0.0.0`, `::`, loopback or multicast in a list used to fail
 * to load the table, delete sipprot's table and exit 1 without naming the file or line,
 * leaving no rules; now each bad line is named (file, line) and skipped, the other entries
 * load, and later changes still reach the kernel. A start that fails half-way keeps the
 * table it found instead of removing every rule.
 */
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { HttpAdmin } from '../src/admin/http-admin.js';
import { loadConfig } from '../src/config/load.js';
import { Daemon } from '../src/daemon/daemon.js';
import { NftablesFirewall } from '../src/firewall/nftables.js';
import { runtimePaths } from '../src/platform/runtime-paths.js';
import { emptyFirewallState } from '../src/ports/firewall.js';
import { createPair, type Netns } from './netns.testkit.js';

const HOST = () => ({
  own: [{ ip: '10.200.0.1', iface: 'veth' }],
  resolvers: [],
  gateways: [],
  sshPeers: [],
});

function memoryLog(lines: Array<Record<string, unknown>>) {
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l));
      done();
    },
  });
  return pino({ level: 'info' }, sink);
}

describe('list entries that used to break the firewall (daemon + nft in a namespace)', () => {
  let a: Netns;
  let destroy: () => Promise<void>;
  let dir: string;
  const nftOf = () => new NftablesFirewall({ command: a.command('nft') });

  before(async () => {
    ({ a, destroy } = await createPair('lst'));
    dir = mkdtempSync(join(tmpdir(), 'sipprot-lists-'));
  });
  after(async () => {
    await destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  function configWith(extra: string): string {
    const conf = join(dir, 'sipprot.conf');
    writeFileSync(conf, `STATE_DIR=${dir}/state\nWEB_LISTEN=off\n${extra}`, { mode: 0o600 });
    return conf;
  }

  it('a bad line is named (file and line) and skipped; the rest loads; later changes reach nft', async () => {
    const deny = join(dir, 'sipprot.denylist');
    writeFileSync(deny, '198.51.100.7 attacker\n0.0.0.0 typo\n::\n203.0.113.0/24 range\n224.0.0.5\n');
    writeFileSync(join(dir, 'sipprot.allowlist'), '127.0.0.1 me\n192.0.2.10 office\n');
    const conf = configWith('');
    const lines: Array<Record<string, unknown>> = [];
    const config = loadConfig({ path: conf });
    const daemon = await Daemon.start(config, {
      firewall: nftOf(),
      capture: false,
      logger: memoryLog(lines),
      configPath: conf,
      hostFacts: HOST,
    });
    try {
      const skipped = lines.filter((l) => String(l.msg).startsWith('skipped list line'));
      assert.deepEqual(
        skipped.map((l) => [String(l.file).split('/').pop(), l.line]),
        [
          ['sipprot.allowlist', 1],
          ['sipprot.denylist', 2],
          ['sipprot.denylist', 3],
          ['sipprot.denylist', 5],
        ],
      );
      assert.match(String(skipped[1]!.msg), /'0\.0\.0\.0' is the unspecified address/);
      let kernel = await nftOf().snapshot();
      assert.deepEqual(kernel.deny, ['198.51.100.7', '203.0.113.0/24']);
      assert.deepEqual(kernel.allow, ['192.0.2.10']);
      const admin = new HttpAdmin(runtimePaths(config).socket);
      await admin.addEntries('deny', [{ network: '192.0.2.99', note: 'later' }]);
      kernel = await nftOf().snapshot();
      assert.deepEqual(
        kernel.deny,
        ['192.0.2.99', '198.51.100.7', '203.0.113.0/24'],
        'a later entry reaches nft',
      );
      await assert.rejects(admin.addEntries('deny', [{ network: '::', note: '' }]), /unspecified address/);
    } finally {
      await daemon.stop();
    }
    assert.equal(
      (await a.exec(['nft', 'list', 'tables'])).stdout.includes('sipprot'),
      false,
      'stop removes it',
    );
  });

  it('a start that fails half-way keeps sipprot’s table (and its rules) instead of deleting it', async () => {
    // What a daemon that died left: its table with a block.
    await nftOf().init({ ...emptyFirewallState(), deny: ['198.51.100.66'] });
    // The HEP port is taken: begin() fails after it loaded the table.
    const busy: Socket = createSocket('udp4');
    await new Promise<void>((r) => busy.bind(0, '127.0.0.1', r));
    const port = busy.address().port;
    const conf = configWith(`HEP_LISTEN=127.0.0.1:${port}\n`);
    try {
      await assert.rejects(
        Daemon.start(loadConfig({ path: conf }), {
          firewall: nftOf(),
          capture: false,
          logger: pino({ level: 'silent' }),
          configPath: conf,
          hostFacts: HOST,
        }),
      );
    } finally {
      busy.close();
    }
    const kernel = await nftOf().snapshot();
    assert.ok(
      kernel.deny.includes('198.51.100.7'),
      `the table is still there: ${JSON.stringify(kernel.deny)}`,
    );
    await nftOf().shutdown();
  });
});
