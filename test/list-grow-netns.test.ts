/**
 * A list that only grows goes into the kernel over netlink (src/firewall/list-grow.ts; issue
 * 14: a new host's 100k-entry deny list from the fleet), for real, as root, in a namespace this
 * test creates. After every change the kernel must hold exactly what one `nft -f` of the whole
 * table with that list gives: a list growing from empty, growing again with new prefix lengths
 * and IPv6; a shrink and a merge of ranges (not growth) through one nft transaction; and a
 * netlink load refused half-way is said and the list replaced in one transaction.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { NftNetlink } from '../src/firewall/nft-netlink.js';
import { NftablesFirewall } from '../src/firewall/nftables.js';
import type { FirewallState } from '../src/ports/firewall.js';
import { DEFAULT_FIREWALL_OPTIONS, emptyFirewallState } from '../src/ports/firewall.js';
import { Netns } from './netns.testkit.js';
import { FailingNetlink, kernelSets, recordingLogger, type SaidLine } from './nft-kernel.testkit.js';

const v4 = (n: number) => `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
const hosts = (from: number, n: number) => Array.from({ length: n }, (_, i) => v4(from + 2 * i));
const BASE = (10 << 24) | (1 << 16);

/** The chains' rules, in order (a grown list must be matched exactly as a loaded one). */
async function rules(ns: Netns): Promise<string> {
  const r = await ns.exec(['nft', 'list', 'chain', 'inet', 'sipprot', 'prerouting']);
  const o = await ns.exec(['nft', 'list', 'chain', 'inet', 'sipprot', 'output']);
  return `${r.stdout}\n${o.stdout}`.replace(/packets \d+ bytes \d+/g, '');
}

describe('a list that only grows goes over netlink; anything else is one nft transaction (netns)', () => {
  let ns: Netns;
  let ref: Netns;
  const state = (deny: string[]): FirewallState => ({
    ...emptyFirewallState(DEFAULT_FIREWALL_OPTIONS),
    allow: ['10.1.0.8', '2001:db8:ffff::1'],
    deny,
  });
  /** The kernel sets and rules one `nft -f` of the whole table with this deny list gives. */
  const expected = async (deny: string[]) => {
    const whole = new NftablesFirewall({ command: ref.command('nft'), netlink: null });
    await whole.init(state(deny));
    const out = { sets: await kernelSets(ref), rules: await rules(ref) };
    await whole.shutdown();
    return out;
  };
  const same = async (deny: string[], what: string) => {
    const want = await expected(deny);
    assert.deepEqual(await kernelSets(ns), want.sets, what);
    assert.equal(await rules(ns), want.rules, what);
  };
  const replaced = (lines: SaidLine[]) => lines.filter((l) => l.msg === 'firewall list replaced').at(-1)?.obj;

  before(async () => {
    ns = await Netns.create('list-grow');
    ref = await Netns.create('list-grow-ref');
  });
  after(async () => {
    await ns?.destroy();
    await ref?.destroy();
  });

  it('grows from empty and again over netlink; shrinks and merges through nft; always the same kernel', async () => {
    const { lines, log } = recordingLogger();
    const fw = new NftablesFirewall({
      command: ns.command('nft'),
      netlink: new NftNetlink(ns.name),
      logger: log,
    });
    await fw.init(state([]));
    try {
      let deny = hosts(BASE, 3000);
      await fw.setList('deny', deny);
      assert.equal(replaced(lines)?.netlink, 3000, 'from empty: every element over netlink');
      await same(deny, 'grown from empty');

      deny = [...deny, ...hosts(BASE + 100_000, 500), '172.16.0.0/24', 'fd00:dead::2', '2001:db8:2::/48'];
      await fw.setList('deny', deny);
      assert.equal(replaced(lines)?.netlink, 503, 'only the new elements');
      await same(deny, 'grown again, new prefix lengths and IPv6');

      deny = deny.filter((_, i) => i % 3 !== 0);
      await fw.setList('deny', deny);
      assert.equal(replaced(lines)?.netlink, undefined, 'a shrink is one nft transaction');
      await same(deny, 'shrunk');

      // 10.1.0.3 next to 10.1.0.2 (still listed): the two merge into one /31, the /32 must go.
      assert.ok(deny.includes(v4(BASE + 2)));
      deny = [...deny, v4(BASE + 3)];
      await fw.setList('deny', deny);
      assert.equal(replaced(lines)?.netlink, undefined, 'a merge is not growth');
      await same(deny, 'merged');
      assert.equal(lines.filter((l) => l.level === 'error').length, 0);
    } finally {
      await fw.shutdown();
    }
  });

  it('a netlink load refused half-way is said, and the list replaced in one transaction', async () => {
    const { lines, log } = recordingLogger();
    const fw = new NftablesFirewall({
      command: ns.command('nft'),
      // The init loads the two allow sets over netlink; the deny list's load is the third.
      netlink: new FailingNetlink(ns.name, 3, 500),
      logger: log,
    });
    await fw.init(state([]));
    try {
      const deny = hosts(BASE, 2000);
      await fw.setList('deny', deny);
      const said = lines.filter((l) => l.level === 'error');
      assert.equal(said.length, 1, JSON.stringify(lines));
      assert.match(said[0]!.msg, /over netlink failed after \d+: replacing the list in one nft transaction/);
      await same(deny, 'after the fallback');
    } finally {
      await fw.shutdown();
    }
  });
});
