/**
 * The first load of sipprot's table at start (issue 13 target 5), for real, as root, in
 * namespaces this test creates: the table with empty sets through `nft -f`, then the
 * elements over netlink in chunks. It must give exactly the kernel set one `nft -f` of
 * the whole table gives (host and network sets of every prefix length, both families,
 * merged ranges, feeds with timeouts, the PREFIX_BLOCK interval sets pfx4/pfx6, dynamic
 * blocks with and without timeouts); and a chunk the kernel refuses half-way never
 * leaves a partial table behind silently: it is said, and the whole table is loaded
 * again in one transaction. Chunks are made small (500 elements) so every set of a few
 * thousand elements goes in many transactions. A table a crash left in the kernel is not
 * emptied for the split load: it is replaced in one transaction, so what it dropped stays
 * dropped throughout the restart.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { isSipprotError } from '../src/core/errors.js';
import type { Family } from '../src/core/net/ip.js';
import { NftNetlink } from '../src/firewall/nft-netlink.js';
import { NftablesFirewall } from '../src/firewall/nftables.js';
import { joinHosts } from '../src/firewall/packed-hosts.js';
import type { FirewallState, PackedHosts } from '../src/ports/firewall.js';
import { DEFAULT_FIREWALL_OPTIONS } from '../src/ports/firewall.js';
import { Netns } from './netns.testkit.js';
import {
  FailingAsyncNetlink,
  FailingNetlink,
  kernelSets,
  recordingLogger,
  type SaidLine,
} from './nft-kernel.testkit.js';

const CHUNK = 500;

/** The firewall's nft -f session, for tests that watch or spoil the scripts it runs. */
const sessionOf = (fw: NftablesFirewall) =>
  (fw as unknown as { session: { runScript(s: string): Promise<void> } }).session;

const v4 = (n: number) => `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;

/** A state with every kind of element, several thousand of them. */
function bigState(): FirewallState {
  const deny: string[] = [];
  // Hosts two apart (no merging), a run that merges into a /22 + /23, networks of
  // several lengths in both families.
  for (let i = 0; i < 3000; i++) deny.push(v4(((10 << 24) | (1 << 16)) + 2 * i));
  for (let i = 0; i < 1536; i++) deny.push(v4(((10 << 24) | (9 << 16)) + i));
  for (let i = 0; i < 300; i++) deny.push(`${v4(((172 << 24) | (16 << 16)) + i * 512)}/24`);
  for (let i = 0; i < 700; i++) deny.push(`fd00:dead::${(2 * i).toString(16)}`);
  for (let i = 0; i < 40; i++) deny.push(`2001:db8:${(2 * i).toString(16)}::/48`);
  const allow = ['10.1.0.8', '192.0.2.0/28', '2001:db8:ffff::1'];
  const countries = ['198.18.0.0/15', '203.0.113.0/24', '2001:db8:aa00::/40'];
  const dynamic: FirewallState['dynamic'] = [];
  for (let i = 0; i < 2600; i++)
    dynamic.push({ ip: v4(((100 << 24) | (64 << 16)) + i), expiresIn: 3600 + (i % 7) });
  for (let i = 0; i < 900; i++) dynamic.push({ ip: `2001:db8:5::${i.toString(16)}`, expiresIn: 7200 });
  dynamic.push({ ip: '100.127.0.1', expiresIn: null }, { ip: '2001:db8:6::1', expiresIn: null });
  dynamic.push({ ip: '198.51.100.0/24', expiresIn: 600 }, { ip: '2001:db8:77::/64', expiresIn: null });
  const feeds = [
    { network: '192.0.2.128/25', expiresIn: 900 },
    { network: '203.0.114.7', expiresIn: 900 },
    { network: '2001:db8:f00d::/48', expiresIn: 1800 },
  ];
  return { allow, deny, countries, dynamic, feeds, options: DEFAULT_FIREWALL_OPTIONS };
}

describe('the first load at start: nft -f for the table, netlink in chunks for the elements (netns)', () => {
  let ns: Netns;
  let expected: Map<string, string[]>;
  const desired = bigState();

  before(async () => {
    ns = await Netns.create('start-load');
    // The reference: the same state through one `nft -f` of the whole table (no netlink).
    const whole = new NftablesFirewall({ command: ns.command('nft'), netlink: null });
    await whole.init(desired);
    expected = await kernelSets(ns);
    await whole.shutdown();
  });
  after(async () => {
    await ns?.destroy();
  });

  /**
   * A firewall on the namespace's nft and `netlink` (by default NftNetlink in CHUNK parts),
   * its log recorded: loaded by `load`, then `check`ed, then shut down whatever happened.
   */
  async function withFirewall(
    load: (fw: NftablesFirewall) => Promise<void>,
    check: (fw: NftablesFirewall, lines: SaidLine[]) => Promise<void>,
    netlink: NftNetlink = new NftNetlink(ns.name, CHUNK),
  ): Promise<void> {
    const { lines, log } = recordingLogger();
    const fw = new NftablesFirewall({ command: ns.command('nft'), netlink, logger: log });
    await load(fw);
    try {
      await check(fw, lines);
    } finally {
      await fw.shutdown();
    }
  }

  it('gives exactly the kernel sets one nft -f of the whole table gives', async () => {
    const total = [...expected.values()].reduce((n, e) => n + e.length, 0);
    assert.ok(total > 7000, `the reference table holds ${total} elements`);
    for (const name of [
      'deny4_32',
      'deny4_22',
      'deny4_23',
      'deny4_24',
      'deny6_128',
      'deny6_48',
      'dyn4',
      'dyn6',
      'pfx4',
      'pfx6',
      'feed4_25',
      'feed6_48',
      'allow4_28',
      'country6_40',
    ]) {
      assert.ok((expected.get(name)?.length ?? 0) > 0, `reference set ${name} is not empty`);
    }
    await withFirewall(
      (fw) => fw.init(desired),
      async (_, lines) => {
        assert.deepEqual(await kernelSets(ns), expected);
        assert.equal(lines.filter((l) => l.level === 'error').length, 0);
        // The benches' read-back: a netlink dump counted gives each hash set's size.
        const netlink = new NftNetlink(ns.name);
        for (const set of ['dyn4', 'dyn6', 'deny4_32', 'deny6_128', 'deny4_24', 'feed6_48']) {
          assert.equal(netlink.count(set), expected.get(set)!.length, set);
        }
        assert.throws(() => netlink.count('no_such_set'), { code: 'SP_ERR_FIREWALL' });
      },
    );
  });

  it('a table a crash left in the kernel is replaced in one transaction: what it dropped stays dropped throughout', async () => {
    // The crashed daemon's table, left in the kernel (kill -9: no shutdown deleted it).
    const crashed = new NftablesFirewall({ command: ns.command('nft'), netlink: null });
    await crashed.init(desired);
    const blocked = /\b100\.64\.0\.1\b/; // bigState's second dynamic block
    const gaps: string[] = [];
    // Looks at the kernel before every bulk load the new daemon's start makes.
    class Watching extends NftNetlink {
      override load(set: string, family: Family, keys: Uint8Array, timeoutsMs: Float64Array | null): void {
        const dyn4 = spawnSync(
          'ip',
          ['netns', 'exec', ns.name, 'nft', 'list', 'set', 'inet', 'sipprot', 'dyn4'],
          {
            encoding: 'utf8',
          },
        );
        if (!blocked.test(dyn4.stdout)) gaps.push(`before loading ${set}: 100.64.0.1 not in dyn4`);
        super.load(set, family, keys, timeoutsMs);
      }
    }
    await withFirewall(
      (fw) => fw.init(desired),
      async () => {
        assert.deepEqual(gaps, []);
        assert.deepEqual(await kernelSets(ns), expected);
      },
      new Watching(ns.name, CHUNK),
    );
  });

  it('a chunk refused half-way is said, and the whole table is loaded again in one transaction', async () => {
    await withFirewall(
      (fw) => fw.init(desired),
      async (fw, lines) => {
        assert.deepEqual(await kernelSets(ns), expected);
        const said = lines.filter((l) => l.level === 'error');
        assert.equal(said.length, 1, JSON.stringify(lines));
        assert.match(said[0]!.msg, /over netlink failed after \d+ of \d+: loading the whole table again/);
        // Blocks after the load still take the netlink path.
        await fw.block('100.100.0.1', 60);
        assert.ok((await kernelSets(ns)).get('dyn4')!.some((e) => e.includes('100.100.0.1')));
      },
      // The 3rd bulk load: dyn4 and deny4_32 are in, later sets not yet.
      new FailingNetlink(ns.name, 3, CHUNK),
    );
  });

  /**
   * `desired` as a start reads it: the options, then the lists (with the feeds), then the
   * running blocks; `early`: the IPv4 hosts among them handed over early in parts of 700.
   */
  const inSteps = (
    fw: NftablesFirewall,
    order: string[],
    failLists = false,
    early?: (say: (v4: PackedHosts) => void) => Record<4 | 6, PackedHosts>,
  ) => {
    const { allow, deny, countries, options, feeds, ...blocks } = desired;
    return fw.initInSteps(
      options,
      async (say) => {
        order.push('held');
        if (!early) return { ...blocks, allow: [], deny: [], countries: [], options };
        assert.ok(say, 'a start hands held() a way to give running blocks early');
        const packed = early(say);
        const dynamic = blocks.dynamic.filter((b) => !/^\d+\.\d+\.\d+\.\d+$/.test(b.ip));
        return { dynamic, packedDynamic: packed, allow: [], deny: [], countries: [], options };
      },
      async () => {
        order.push('lists');
        if (failLists) throw new Error('test: the deny list cannot be read');
        return { allow, deny, countries, ...(feeds ? { feeds } : {}) };
      },
    );
  };

  /** desired's IPv4 hosts, packed in parts of 700, each said early; `wrong`: the whole state says another timeout for one. */
  const earlyParts =
    (wrong = false) =>
    (say: (v4: PackedHosts) => void): Record<4 | 6, PackedHosts> => {
      const hosts = desired.dynamic.filter((b) => /^\d+\.\d+\.\d+\.\d+$/.test(b.ip));
      const parts: PackedHosts[] = [];
      for (let i = 0; i < hosts.length; i += 700) {
        const part = hosts.slice(i, i + 700);
        const keys = new Uint8Array(part.length * 4);
        for (const [j, b] of part.entries()) keys.set(b.ip.split('.').map(Number), j * 4);
        const timeoutsMs = Float64Array.from(part, (b) => (b.expiresIn === null ? 0 : b.expiresIn * 1000));
        parts.push({ keys, timeoutsMs });
        say({ keys: keys.slice(), timeoutsMs: timeoutsMs.slice() });
      }
      if (wrong) parts[1]!.timeoutsMs[5] = 1_000_000;
      return { 4: joinHosts(parts), 6: { keys: new Uint8Array(0), timeoutsMs: new Float64Array(0) } };
    };

  it('in steps (a start: the table made, the running blocks inserted off the event loop while the lists are read): the same kernel sets', async () => {
    const order: string[] = [];
    await withFirewall(
      (fw) => inSteps(fw, order),
      async (fw, lines) => {
        assert.deepEqual(order, ['lists', 'held']);
        assert.deepEqual(await kernelSets(ns), expected);
        assert.equal(lines.filter((l) => l.level === 'error').length, 0);
        await fw.block('100.100.0.2', 60);
        assert.ok((await kernelSets(ns)).get('dyn4')!.some((e) => e.includes('100.100.0.2')));
      },
    );
    // With a table in the kernel (a crash left it): replaced in one transaction, the same sets.
    const crashed = new NftablesFirewall({ command: ns.command('nft'), netlink: null });
    await crashed.init(desired);
    await withFirewall(
      async (again) => {
        await again.check();
        await inSteps(again, []);
      },
      async () => assert.deepEqual(await kernelSets(ns), expected),
    );
  });

  it('in steps, the running blocks handed over early in parts: the same kernel sets', async () => {
    await withFirewall(
      (fw) => inSteps(fw, [], false, earlyParts()),
      async (_, lines) => {
        assert.deepEqual(await kernelSets(ns), expected);
        assert.equal(lines.filter((l) => l.level === 'error').length, 0, JSON.stringify(lines));
      },
    );
  });

  it('in steps: running blocks handed over early that the whole state does not hold as given are said, and the whole table goes in one transaction', async () => {
    await withFirewall(
      (fw) => inSteps(fw, [], false, earlyParts(true)),
      async (_, lines) => {
        const want = new Map(expected);
        // The whole state's timeout for that host (1000 s), not the early one.
        const sets = await kernelSets(ns);
        const changed = sets.get('dyn4')!.filter((e) => !want.get('dyn4')!.includes(e));
        assert.equal(changed.length, 1, JSON.stringify(changed));
        assert.match(changed[0]!, /"100\.64\.2\.193".*"timeout":1000\b/);
        const said = lines.filter((l) => l.level === 'error');
        assert.equal(said.length, 1, JSON.stringify(lines));
        assert.match(said[0]!.msg, /loading the whole table again/);
        assert.match(
          String((said[0]!.obj.err as { message?: string })?.message ?? JSON.stringify(said[0]!.obj)),
          /loaded early/,
        );
      },
    );
  });

  it('in steps: no chain matches before the allowed addresses are in (the running blocks are in already), with a usual and a big allow list', async () => {
    const big = Array.from({ length: 2500 }, (_, i) => v4(((172 << 24) | (31 << 16)) + 2 * i));
    for (const [allow, want] of [
      [desired.allow, ['in the script']],
      [[...desired.allow, ...big], ['2501 in the kernel']],
    ] as const) {
      const state = { ...desired, allow: [...allow] };
      const reference = new NftablesFirewall({ command: ns.command('nft'), netlink: null });
      await reference.init(state);
      const sets = await kernelSets(ns);
      await reference.shutdown();
      const fw = new NftablesFirewall({
        command: ns.command('nft'),
        netlink: new NftNetlink(ns.name, CHUNK),
      });
      const session = sessionOf(fw);
      const real = session.runScript.bind(session);
      const seen: string[] = [];
      session.runScript = async (script: string) => {
        if (/add chain/.test(script)) {
          if (/add element inet sipprot allow4_32 /.test(script)) seen.push('in the script');
          else seen.push(`${(await kernelSets(ns)).get('allow4_32')?.length ?? 0} in the kernel`);
        }
        await real(script);
      };
      const { options, deny, countries, feeds, ...blocks } = state;
      await fw.initInSteps(
        options,
        async () => ({ ...blocks, allow: [], deny: [], countries: [], options }),
        async () => ({ allow: state.allow, deny, countries, ...(feeds ? { feeds } : {}) }),
      );
      try {
        assert.deepEqual(seen, want);
        assert.deepEqual(await kernelSets(ns), sets);
      } finally {
        session.runScript = real;
        await fw.shutdown();
      }
    }
  });

  it('in steps: running blocks the kernel refuses half-way are said, and the whole table goes in one transaction', async () => {
    await withFirewall(
      (fw) => inSteps(fw, []),
      async (_, lines) => {
        assert.deepEqual(await kernelSets(ns), expected);
        const said = lines.filter((l) => l.level === 'error');
        assert.equal(said.length, 1, JSON.stringify(lines));
        assert.match(said[0]!.msg, /over netlink failed after \d+ of \d+: loading the whole table again/);
        assert.ok((said[0]!.obj.loaded as number) > 0);
      },
      new FailingAsyncNetlink(ns.name, CHUNK),
    );
  });

  it('in steps: lists that cannot be read fail the load with their error, and no half-made table is left', async () => {
    const fw = new NftablesFirewall({ command: ns.command('nft'), netlink: new NftNetlink(ns.name, CHUNK) });
    await assert.rejects(inSteps(fw, [], true), /the deny list cannot be read/);
    const tables = await ns.exec(['nft', 'list', 'tables']);
    assert.doesNotMatch(tables.stdout, /sipprot/);
    await fw.shutdown();
  });

  it('in steps: a table nft refuses fails the load with SP_ERR_FIREWALL, also when it fails while the store is read', async () => {
    const fw = new NftablesFirewall({ command: ns.command('nft'), netlink: new NftNetlink(ns.name, CHUNK) });
    const session = sessionOf(fw);
    const real = session.runScript.bind(session);
    session.runScript = async () => real('this is not nft syntax\n');
    const { options, feeds: _, ...rest } = desired;
    const held = async () => {
      // The store read takes a while: nft's refusal comes meanwhile.
      await new Promise((r) => setTimeout(r, 1500));
      return { ...rest, allow: [], deny: [], countries: [], options };
    };
    await assert.rejects(
      fw.initInSteps(options, held, async () => ({ allow: [], deny: [], countries: [] })),
      (e) => isSipprotError(e) && e.code === 'SP_ERR_FIREWALL',
    );
    session.runScript = real;
    await fw.shutdown();
  });

  it('when the whole-table load fails too, init fails with SP_ERR_FIREWALL: never a silent partial table', async () => {
    const { log } = recordingLogger();
    // nft that loads nothing (exits 1) for the retry: the structure went in first through
    // the real nft, so use one that fails from the second script on.
    let scripts = 0;
    const fw = new NftablesFirewall({
      command: ns.command('nft'),
      netlink: new FailingNetlink(ns.name, 1, CHUNK),
      logger: log,
    });
    const session = sessionOf(fw);
    const real = session.runScript.bind(session);
    session.runScript = async (s: string) => {
      if (++scripts === 2) return real('this is not nft syntax\n');
      return real(s);
    };
    await assert.rejects(fw.init(desired), (e) => isSipprotError(e) && e.code === 'SP_ERR_FIREWALL');
    await fw.shutdown();
  });
});
