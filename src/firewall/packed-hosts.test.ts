/**
 * The dynamic blocks of a desired state, packed for the kernel (state.ts packDynamic, issue
 * 13 target 5), against the way they were prepared before it: one Host each in a Map keyed
 * by its text. Same addresses, same timeouts, same order, same refusals.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DynamicBlock } from '../ports/firewall.js';
import { emptyFirewallState } from '../ports/firewall.js';
import { unpackHosts } from './packed-hosts.js';
import { dynamicBlocks } from './reconcile.js';
import { packHeldV4, parsePrefixBlock, prepareState, timeoutMs } from './state.js';
import { parseHost } from './validate.js';

/** What prepareState did before the packed form: the oracle. */
function before(list: readonly DynamicBlock[]) {
  const dyn = new Map<string, { family: number; text: string; timeoutMs: number | null }>();
  const prefixes = new Map<string, unknown>();
  for (const d of list) {
    const expired = d.expiresIn !== null && typeof d.expiresIn === 'number' && d.expiresIn <= 0;
    const p = parsePrefixBlock(d.ip, expired ? null : d.expiresIn);
    if (p) {
      if (expired) prefixes.delete(p.text);
      else prefixes.set(p.text, p);
      continue;
    }
    const host = parseHost(d.ip);
    if (expired) {
      dyn.delete(host.text);
      continue;
    }
    dyn.set(host.text, {
      family: host.family,
      text: host.text,
      timeoutMs: timeoutMs(host.text, d.expiresIn),
    });
  }
  const of = (f: number) =>
    [...dyn.values()].filter((h) => h.family === f).map(({ text, timeoutMs }) => ({ text, timeoutMs }));
  return { 4: of(4), 6: of(6), prefixes: [...prefixes.values()] };
}

function after(list: DynamicBlock[]) {
  const s = prepareState({ ...emptyFirewallState(), dynamic: list });
  return { 4: unpackHosts(4, s.dynamic[4]), 6: unpackHosts(6, s.dynamic[6]), prefixes: s.prefixes };
}

describe('dynamic blocks packed for the kernel', () => {
  it('hold what the per-Host preparation held: repeats, expired entries, other spellings, networks', () => {
    let seed = 11;
    const rnd = (n: number) => {
      seed = (seed * 16807) % 2147483647;
      return seed % n;
    };
    const spellings = (i: number): string => {
      const a = `100.64.${i % 7}.${i % 250}`;
      switch (i % 9) {
        case 0:
          return `::ffff:${a}`;
        case 1:
          return `2001:db8:5::${(i % 50).toString(16)}`;
        case 2:
          return `2001:0db8:0005:0000:0000:0000:0000:${(i % 50).toString(16)}`;
        case 3:
          return `10.9.${i % 3}.0/24`;
        case 4:
          return `2001:db8:77:${i % 4}::/64`;
        default:
          return a;
      }
    };
    const list: DynamicBlock[] = [];
    for (let i = 0; i < 5000; i++) {
      const k = rnd(100);
      const expiresIn = k < 10 ? -rnd(5) : k < 25 ? null : rnd(100_000) / 7 + 0.001;
      list.push({ ip: spellings(rnd(400)), expiresIn });
    }
    const want = before(list);
    const got = after(list);
    assert.ok(want[4].length > 100 && want[6].length > 10 && want.prefixes.length > 3);
    assert.deepEqual(got, want);
  });

  it('refuses what the per-Host preparation refused, with the same error', () => {
    for (const ip of ['127.0.0.1', '0.0.0.0', '224.0.0.5', '::1', '10.0.0.0/4', 'not-an-ip', '300.1.1.1']) {
      const list = [
        { ip: '100.64.0.1', expiresIn: 5 },
        { ip, expiresIn: 5 },
      ];
      let want: unknown = null;
      try {
        before(list);
      } catch (e) {
        want = e;
      }
      assert.ok(want, ip);
      assert.throws(
        () => after(list),
        (e: unknown) => {
          assert.deepEqual(
            { ...(e as object), message: (e as Error).message },
            { ...(want as object), message: (want as Error).message },
          );
          return true;
        },
      );
    }
  });
});

describe('the running blocks of a start packed in one pass (state.ts packHeldV4)', () => {
  let seed = 99;
  const rnd = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  const NOW = 1_800_000_000;
  const ips = [
    ...Array.from({ length: 40 }, (_, i) => `100.64.${i >> 4}.${i}`),
    '2001:db8::1',
    '2001:db8::2',
    '198.51.100.0/24',
    '2001:db8:9::/48',
  ];
  const odd = ['::ffff:100.64.0.1', '127.0.0.1', '224.0.0.5'];
  const held = (n: number, withOdd: boolean) =>
    Array.from({ length: n }, () => ({
      ip: withOdd && rnd(10) === 0 ? odd[rnd(odd.length)]! : ips[rnd(ips.length)]!,
      // permanent, running, over (dropped), or over only without the slack
      expiresAt: [null, NOW + 1 + rnd(5000) / 7, NOW - 10, NOW - 1][rnd(4)]!,
    }));
  /** Both ways into prepareState; a refusal must be the same refusal. */
  const both = (h: ReturnType<typeof held>) => {
    const careful = () => prepareState({ ...emptyFirewallState(), dynamic: dynamicBlocks(h, NOW, 2) });
    const fast = packHeldV4(h, NOW, 2);
    if (!fast) return { fast: null, want: null };
    const empty = { keys: new Uint8Array(0), timeoutsMs: new Float64Array(0) };
    const got = () =>
      prepareState({
        ...emptyFirewallState(),
        dynamic: dynamicBlocks(fast.rest, NOW, 2),
        packedDynamic: { 4: fast.v4, 6: empty },
      });
    let want: unknown;
    try {
      want = careful();
    } catch (e) {
      assert.throws(got, { message: (e as Error).message });
      return { fast, want: null };
    }
    const g = got();
    const w = want as ReturnType<typeof careful>;
    assert.deepEqual(g.dynamic, w.dynamic);
    assert.deepEqual(g.prefixes, w.prefixes);
    return { fast, want };
  };

  it('packs what dynamicBlocks and packDynamic pack: same addresses, timeouts, order, refusals (3k random states)', () => {
    let taken = 0;
    for (let k = 0; k < 3000; k++) {
      // Some without repeats (the fast way is taken), some with (it steps aside).
      const h = held(1 + rnd(k % 2 ? 12 : 40), k % 3 === 0);
      if (both(h).fast) taken++;
    }
    assert.ok(taken > 1000, `the fast way was taken ${taken} times`);
  });

  it('steps aside when an address repeats or another spelling of an IPv4 address comes', () => {
    const t = NOW + 100;
    assert.equal(
      packHeldV4(
        [
          { ip: '100.64.0.1', expiresAt: t },
          { ip: '100.64.0.1', expiresAt: t + 5 },
        ],
        NOW,
        2,
      ),
      null,
    );
    assert.equal(
      packHeldV4(
        [
          { ip: '100.64.0.1', expiresAt: t },
          { ip: '::ffff:100.64.0.2', expiresAt: t },
        ],
        NOW,
        2,
      ),
      null,
    );
    const ok = packHeldV4(
      [
        { ip: '100.64.0.1', expiresAt: t },
        { ip: '2001:db8::1', expiresAt: t },
        { ip: '100.64.0.2', expiresAt: NOW - 3 },
      ],
      NOW,
      2,
    );
    assert.deepEqual(ok?.rest, [{ ip: '2001:db8::1', expiresAt: t }]);
    assert.deepEqual([...ok!.v4.keys], [100, 64, 0, 1]);
    assert.deepEqual([...ok!.v4.timeoutsMs], [102_000]);
  });
});
