/**
 * Issue 15 item 7 with the real consumers: `sipprot export-blocks` (the CLI, daemon down:
 * files and store) prints nft and ipset scripts that real `nft -f` and `ipset -exist restore`
 * load inside a namespace this test creates — twice, as a cron job would, the second time
 * replacing what the first loaded — and the allowed address is in neither kernel set.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { main as sipprot } from '../src/cli/sipprot.js';
import { aBlock, blockedAt } from '../src/core/records.testkit.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import { Netns } from './netns.testkit.js';

async function cli(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await sipprot(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

describe('export-blocks loads into real nft and ipset (namespace)', () => {
  let dir: string;
  let conf: string;
  let ns: Netns;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sipprot-export-'));
    conf = join(dir, 'sipprot.conf');
    writeFileSync(conf, `STATE_DIR=${dir}/state\n`);
    writeFileSync(join(dir, 'sipprot.denylist'), '192.168.50.0/24 branch office\n2001:db8:bad::/48 hoster\n');
    writeFileSync(join(dir, 'sipprot.allowlist'), '192.168.50.15 the branch admin\n');
    const store = SqliteStore.open(join(dir, 'state'));
    const now = Date.now() / 1000;
    for (const ip of ['203.0.113.66', '203.0.113.67', '198.51.100.9', '2001:db8::66']) {
      await store.upsertBlock(aBlock(ip, blockedAt(now - 10)));
    }
    await store.close();
    ns = await Netns.create('ops-export');
  });
  after(async () => {
    await ns?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('nft: loads, reloads, holds the blocks with timeouts, never the allowed address', async () => {
    const r = await cli('--config', conf, 'export-blocks', '--format', 'nft', '--aggregate', '--name', 'sbc');
    assert.equal(r.code, 0, r.err);
    for (let i = 0; i < 2; i++) await ns.exec(['nft', '-f', '-'], { input: r.out });
    const set4 = (await ns.exec(['nft', '-j', 'list', 'set', 'inet', 'sbc', 'blocked4'])).stdout;
    const text4 = (await ns.exec(['nft', 'list', 'set', 'inet', 'sbc', 'blocked4'])).stdout;
    assert.match(text4, /203\.0\.113\.66\/31 timeout \S+ expires/);
    // nft shows the auto-merged prefixes as ranges: the allowed .15 is the gap.
    assert.match(text4, /192\.168\.50\.0-192\.168\.50\.14, 192\.168\.50\.16-192\.168\.50\.255/);
    assert.match(text4, /198\.51\.100\.9 timeout/);
    assert.ok(JSON.parse(set4).nftables.length > 0);
    const allowed = await ns.exec(['nft', 'get', 'element', 'inet', 'sbc', 'blocked4', '{ 192.168.50.15 }'], {
      allowFail: true,
    });
    assert.notEqual(allowed.code, 0, 'the allowed address is not in the set');
    const denied = await ns.exec(['nft', 'get', 'element', 'inet', 'sbc', 'blocked4', '{ 192.168.50.16 }']);
    assert.equal(denied.code, 0);
    const text6 = (await ns.exec(['nft', 'list', 'set', 'inet', 'sbc', 'blocked6'])).stdout;
    assert.match(text6, /2001:db8::66 timeout/);
    assert.match(text6, /2001:db8:bad::\/48/);
    // A smaller export replaces the elements (flush + add in one transaction).
    const small = await cli(
      '--config',
      conf,
      'export-blocks',
      '--format',
      'nft',
      '--include',
      'dynamic',
      '--name',
      'sbc',
    );
    await ns.exec(['nft', '-f', '-'], { input: small.out });
    const after4 = (await ns.exec(['nft', 'list', 'set', 'inet', 'sbc', 'blocked4'])).stdout;
    assert.doesNotMatch(after4, /192\.168\.50/);
    assert.match(after4, /203\.0\.113\.66/);
  });

  it('ipset: restores, swaps in atomically, reloads', async () => {
    const r = await cli('--config', conf, 'export-blocks', '--format', 'ipset');
    assert.equal(r.code, 0, r.err);
    for (let i = 0; i < 2; i++) await ns.exec(['ipset', '-exist', 'restore'], { input: r.out });
    const v4 = (await ns.exec(['ipset', 'list', 'sipprot-blocked4'])).stdout;
    assert.match(v4, /203\.0\.113\.66 timeout \d+/);
    assert.match(v4, /192\.168\.50\.16\/28/);
    const test = await ns.exec(['ipset', 'test', 'sipprot-blocked4', '192.168.50.15'], { allowFail: true });
    assert.notEqual(test.code, 0, 'the allowed address is not in the set');
    const v6 = (await ns.exec(['ipset', 'list', 'sipprot-blocked6'])).stdout;
    assert.match(v6, /2001:db8:bad::\/48/);
    const names = (await ns.exec(['ipset', 'list', '-n'])).stdout.split('\n').filter(Boolean).sort();
    assert.deepEqual(names, ['sipprot-blocked4', 'sipprot-blocked6'], 'no -new set left behind');
  });

  it('--output replaces a file atomically; bad options are exit 2', async () => {
    const file = join(dir, 'blocks.txt');
    const r = await cli('--config', conf, 'export-blocks', '--output', file, '--include', 'deny');
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /networks written to/);
    const lines = readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'));
    assert.ok(lines.includes('2001:db8:bad::/48'));
    assert.ok(!lines.includes('192.168.50.15'));
    assert.equal((await cli('--config', conf, 'export-blocks', '--format', 'xml')).code, 2);
    assert.equal((await cli('--config', conf, 'export-blocks', '--include', 'countries')).code, 2);
    assert.equal((await cli('--config', conf, 'export-blocks', '--name', 'x;y')).code, 2);
  });
});
