/**
 * Dynamic changes with the fewest element operations (issue 13, nft-netlink.ts `dynamic`),
 * with real nftables in a namespace this test creates: a fresh block is one exclusive add, a
 * renewal a delete and an add, a lift a delete — and every change still ends exact when the
 * kernel holds something else (a re-block within the slack of the last one, an element added
 * or deleted by hand), where the transaction is refused and the batch is applied the exact
 * way (add, delete, add). Permanent blocks and IPv6 in the same batches.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { NftNetlink, type SetOp } from '../src/firewall/nft-netlink.js';
import { NftablesFirewall } from '../src/firewall/nftables.js';
import { emptyFirewallState } from '../src/ports/firewall.js';
import { Netns } from './netns.testkit.js';

/** Netlink that keeps the operations of every transaction the kernel took. */
class SeenNetlink extends NftNetlink {
  applied: SetOp[][] = [];
  override apply(ops: readonly SetOp[]): void {
    super.apply(ops);
    this.applied.push(ops.filter((o) => o.keys.length > 0));
  }
}

describe('fresh blocks over netlink (nft in a namespace)', () => {
  let ns: Netns;
  let fw: NftablesFirewall;
  let nl: SeenNetlink;

  before(async () => {
    ns = await Netns.create('blockcost-fresh');
    nl = new SeenNetlink(ns.name);
    fw = new NftablesFirewall({ command: ns.command('nft'), netns: ns.name, netlink: nl });
    await fw.init(emptyFirewallState());
  });
  after(async () => {
    await fw?.shutdown();
    await ns?.destroy();
  });

  /** The dynamic sets' elements: address → timeout in seconds (null: none). */
  async function elements(): Promise<Map<string, number | null>> {
    const out = new Map<string, number | null>();
    for (const set of ['dyn4', 'dyn6']) {
      const r = await ns.exec(['nft', '-j', 'list', 'set', 'inet', 'sipprot', set]);
      const doc = JSON.parse(r.stdout) as { nftables: Array<{ set?: { elem?: unknown[] } }> };
      for (const e of doc.nftables.find((x) => x.set)?.set?.elem ?? []) {
        if (typeof e === 'string') out.set(e, null);
        else {
          const el = (e as { elem: { val: string; timeout?: number } }).elem;
          out.set(el.val, el.timeout ?? null);
        }
      }
    }
    return out;
  }

  it('a new block is one exclusive add, with its timeout', async () => {
    nl.applied = [];
    await fw.block('198.51.100.1', 600, true);
    assert.equal((await elements()).get('198.51.100.1'), 600);
    assert.equal(nl.applied.length, 1);
    assert.deepEqual(
      nl.applied[0]!.map((o) => [o.add, o.exclusive === true, o.keys.length]),
      [[true, true, 4]],
    );
  });

  it('a "fresh" block of an address the kernel holds still replaces its timeout', async () => {
    await fw.block('198.51.100.2', 30);
    assert.equal((await elements()).get('198.51.100.2'), 30);
    nl.applied = [];
    await fw.block('198.51.100.2', 900, true);
    assert.equal(
      (await elements()).get('198.51.100.2'),
      900,
      'the timeout of the new block, not the old one',
    );
    assert.equal(nl.applied.length, 1, 'the refused exclusive add changed nothing; the exact way did');
    assert.equal(nl.applied[0]!.length, 3);
    // A permanent block of a running one: no timeout left.
    await fw.block('198.51.100.2', null, true);
    assert.equal((await elements()).get('198.51.100.2'), null);
  });

  it('a batch of fresh, held, renewed, lifted and IPv6 addresses ends exact', async () => {
    await Promise.all([
      fw.block('198.51.100.10', 40),
      fw.block('198.51.100.11', 40),
      fw.block('2001:db8::11', 40),
    ]);
    nl.applied = [];
    // One synchronous stretch: one batch, one transaction attempt.
    await Promise.all([
      fw.block('198.51.100.20', 700, true),
      fw.block('198.51.100.21', null, true),
      fw.block('2001:db8::20', 800, true),
      fw.block('198.51.100.10', 1200), // a renewal
      fw.unblock('198.51.100.11'),
      fw.block('2001:db8::11', 500, true), // held already: refuses the exclusive add
    ]);
    const e = await elements();
    assert.equal(e.get('198.51.100.20'), 700);
    assert.equal(e.has('198.51.100.21'), true);
    assert.equal(e.get('198.51.100.21'), null);
    assert.equal(e.get('2001:db8::20'), 800);
    assert.equal(e.get('198.51.100.10'), 1200);
    assert.equal(e.has('198.51.100.11'), false);
    assert.equal(e.get('2001:db8::11'), 500);
    assert.equal(nl.applied.length, 1);
    assert.ok(
      nl.applied[0]!.every((o) => o.exclusive !== true),
      'refused: the whole batch went the exact way',
    );
    // The same without the held one: a fresh block as an exclusive add, the renewal as a
    // delete and an add, the lift as a delete.
    nl.applied = [];
    await Promise.all([
      fw.block('198.51.100.30', 300, true),
      fw.block('198.51.100.10', 1300),
      fw.unblock('198.51.100.20'),
    ]);
    const f = await elements();
    assert.equal(f.get('198.51.100.30'), 300);
    assert.equal(f.get('198.51.100.10'), 1300);
    assert.equal(f.has('198.51.100.20'), false);
    assert.deepEqual(
      nl.applied[0]!.map((o) => [o.add, o.exclusive === true, o.keys.length / 4]),
      [
        [true, true, 1],
        [false, false, 2],
        [true, false, 1],
      ],
    );
  });

  it('a renewal or a lift of an address the kernel lost ends exact', async () => {
    await Promise.all([fw.block('198.51.100.40', 60, true), fw.block('198.51.100.41', 60, true)]);
    await ns.exec([
      'nft',
      'delete',
      'element',
      'inet',
      'sipprot',
      'dyn4',
      '{ 198.51.100.40, 198.51.100.41 }',
    ]);
    nl.applied = [];
    await fw.block('198.51.100.40', 1500);
    assert.equal((await elements()).get('198.51.100.40'), 1500, 'the renewal put it back, with its timeout');
    await fw.unblock('198.51.100.41');
    assert.equal((await elements()).has('198.51.100.41'), false);
    assert.deepEqual(
      nl.applied.map((t) => t.length),
      [3, 2],
      'each refused, then the exact way (add, delete, add; add, delete)',
    );
    // Held as believed: a renewal is two operations, a lift one.
    nl.applied = [];
    await fw.block('198.51.100.40', 1600);
    await fw.unblock('198.51.100.40');
    assert.equal((await elements()).has('198.51.100.40'), false);
    assert.deepEqual(
      nl.applied.map((t) => t.map((o) => o.add)),
      [[false, true], [false]],
    );
  });
});
