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
import { parsePrefixBlock, prepareState, timeoutMs } from './state.js';
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
