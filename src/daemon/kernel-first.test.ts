/**
 * `sipprotd run` loads the kernel before the rest of the daemon (kernel-first.ts): the
 * table it loads from the list files and the store's running blocks must be exactly the
 * one the whole daemon's reconcile makes from its policy afterwards, and the Daemon built
 * on it must not load it a second time (nor read the lists again).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { parseConfig } from '../core/config/parse.js';
import { aBlock } from '../core/records.testkit.js';
import { FakeFirewall } from '../firewall/firewall.fake.js';
import type { FirewallState } from '../ports/firewall.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { Daemon } from './daemon.js';
import { loadKernelFirst } from './kernel-first.js';
import { KERNEL_SLACK_SECONDS } from './kernel-state.js';
import { openParts } from './open.js';

class CountingFirewall extends FakeFirewall {
  inits = 0;
  override async init(desired: FirewallState): Promise<void> {
    this.inits++;
    return super.init(desired);
  }
}

describe('the kernel first at start (kernel-first.ts)', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'sipprot-kernel-first-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('loads what the daemon reconciles from its policy afterwards, once, and the daemon takes the lists as read', async () => {
    const conf = join(dir, 'sipprot.conf');
    writeFileSync(
      conf,
      `STATE_DIR=${dir}/state\nWEB_LISTEN=off\nALLOWLIST_FILE=${dir}/allow\nDENYLIST_FILE=${dir}/deny\n`,
    );
    writeFileSync(join(dir, 'allow'), '198.51.100.0/24 office\n2001:db8:1::5\n');
    writeFileSync(join(dir, 'deny'), '203.0.113.9 bad\n192.0.2.0/25\n2001:db8:bad::/48\nnot-an-address\n');
    mkdirSync(join(dir, 'state'), { recursive: true, mode: 0o700 });
    const now = Date.now() / 1000;
    const seed = await SqliteStore.open(join(dir, 'state'));
    await seed.commit({
      blocks: [
        aBlock('100.64.0.1', { expiresAt: now + 600 }),
        aBlock('2001:db8:5::1', { expiresAt: now + 900 }),
        aBlock('100.64.0.2', { expiresAt: null }),
        aBlock('100.64.0.3', { expiresAt: now - 5 }),
      ],
    });
    await seed.close();
    const config = parseConfig(readFileSync(conf, 'utf8'), { source: conf });
    const firewall = new CountingFirewall();
    const opts = { firewall, capture: false, logger: pino({ level: 'silent' }), configPath: conf };

    const opened = await openParts(config, opts);
    const early = await loadKernelFirst(opened);
    assert.equal(firewall.inits, 1);
    const loaded = await firewall.snapshot();
    const loadedAt = Date.now() / 1000;
    assert.deepEqual(loaded.deny, ['192.0.2.0/25', '203.0.113.9', '2001:db8:bad::/48']);
    assert.deepEqual(loaded.allow, ['198.51.100.0/24', '2001:db8:1::5']);
    assert.deepEqual(loaded.dynamic.map((d) => d.ip).sort(), ['100.64.0.1', '100.64.0.2', '2001:db8:5::1']);

    const daemon = await Daemon.start(config, opts, opened);
    try {
      assert.equal(firewall.inits, 1, 'the daemon did not load the table again');
      assert.equal(early.access.denySize, 3);
      // The whole daemon's reconcile (from the restored policy) gives the same table.
      await daemon.reconcile('test');
      assert.equal(firewall.inits, 2);
      const again = await firewall.snapshot();
      const againAt = Date.now() / 1000;
      assert.deepEqual(again.deny, loaded.deny);
      assert.deepEqual(again.allow, loaded.allow);
      // Each block's kernel expiry as a time (the two snapshots are seconds apart on a
      // loaded machine): the same, within the snapshots' own clock reads, and the policy's
      // expiry plus the kernel's slack.
      const expiries = (s: FirewallState, at: number) =>
        Object.fromEntries(s.dynamic.map((d) => [d.ip, d.expiresIn === null ? null : at + d.expiresIn]));
      const first = expiries(loaded, loadedAt);
      const second = expiries(again, againAt);
      assert.deepEqual(Object.keys(second).sort(), Object.keys(first).sort());
      for (const [ip, want] of [
        ['100.64.0.1', now + 600 + KERNEL_SLACK_SECONDS],
        ['2001:db8:5::1', now + 900 + KERNEL_SLACK_SECONDS],
      ] as const) {
        for (const got of [first[ip], second[ip]])
          assert.ok(Math.abs(got! - want) < 1.5, `${ip}: ${got} ≠ ${want}`);
      }
      assert.equal(second['100.64.0.2'], null);
    } finally {
      await daemon.stop();
    }
  });
});
