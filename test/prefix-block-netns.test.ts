/**
 * PREFIX_BLOCK for real (issue 12 item 7, whole-prefix): the policy holds a prefix after
 * PREFIX_BLOCK of its addresses were blocked and blocks the network whole; the nftables
 * adapter puts it in an interval set in a network namespace of this test (real nft, names
 * with "alerts"); an address of the prefix that never sent anything is then dropped by
 * the kernel, an allow-listed one in it still passes, and unblocking the network lets the
 * rest in again. A network holding a protected address (the admin's) is never blocked whole.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_DETECTION } from '../src/core/config/keys-detect.js';
import { PrefixKeys } from '../src/core/detect/prefix.js';
import { networkContains, parseAddress, parseNetwork } from '../src/core/net/ip.js';
import { Policy } from '../src/core/policy/policy.js';
import type { Decision, Verdict } from '../src/core/types.js';
import { NftablesFirewall } from '../src/firewall/nftables.js';
import { emptyFirewallState, type Firewall } from '../src/ports/firewall.js';
import { createPair, type Link, type Netns } from './netns.testkit.js';
import { udpEcho, udpProbe } from './udp.testkit.js';

const T = 1_800_000_000;
const ALLOWED = '10.200.0.6';

function verdict(ip: string, at: number): Verdict {
  return {
    at,
    ip,
    rule: 'auth-failures',
    userAgent: 'friendly-scanner',
    attempts: 10,
    users: ['100'],
    transport: 'udp',
    port: 5060,
    misconfiguredPhone: false,
  };
}

function policy(protectedIn?: (network: string) => boolean): Policy {
  const keys = new PrefixKeys(24, 64);
  return new Policy(
    {
      blockTime: 600,
      blockThreshold: 0,
      blockedCountries: [],
      detection: {
        ...DEFAULT_DETECTION,
        tollWatch: [],
        observe: [],
        prefixV4: 24,
        prefixV6: 64,
        prefixBlock: 2,
      },
    },
    {
      lists: { check: (ip) => ({ status: ip === ALLOWED ? 'allowed' : 'none' }) },
      country: () => null,
      prefixOf: (ip) => keys.key(ip),
      ...(protectedIn ? { protectedIn } : {}),
    },
  );
}

/** Carries decisions out as the enforcer does: the kernel first. */
async function apply(fw: Firewall, ds: Decision[]): Promise<void> {
  for (const d of ds) {
    if (d.action === 'block' || d.action === 'extend')
      await fw.block(d.ip, d.expiresAt === null ? null : d.expiresAt - d.at);
    else if (d.action === 'unblock') await fw.unblock(d.ip);
  }
}

describe('PREFIX_BLOCK blocks the whole prefix in the kernel (netns, real nft)', () => {
  let a: Netns;
  let b: Netns;
  let link: Link;
  let destroy: () => Promise<void>;
  let fw: NftablesFirewall;

  before(async () => {
    ({ a, b, link, destroy } = await createPair('alerts'));
    for (const x of ['10.200.0.3/24', '10.200.0.4/24', '10.200.0.5/24', `${ALLOWED}/24`])
      await b.addAddress(link.dev, x);
    for (const x of ['fd00:200::3/64', 'fd00:200::4/64', 'fd00:200::5/64']) await b.addAddress(link.dev, x);
    fw = new NftablesFirewall({ command: a.command('nft'), netns: a.name });
    await fw.check();
  });
  after(async () => {
    await fw?.shutdown().catch(() => {});
    await destroy?.();
  });

  it('IPv4: an address of the held /24 that never sent anything is dropped; allow still wins; unblock lifts it', async () => {
    await fw.init({ ...emptyFirewallState(), allow: [ALLOWED] });
    const p = policy();
    const echo = await udpEcho(a, { port: 5060 });
    try {
      assert.equal((await udpProbe(b, { host: link.a4, port: 5060, bind: '10.200.0.5' })).replies, 5);
      const ds = [...p.onVerdict(verdict('10.200.0.3', T)), ...p.onVerdict(verdict('10.200.0.4', T + 1))];
      assert.deepEqual(
        ds.map((d) => `${d.action} ${d.ip} ${d.reason}`),
        ['block 10.200.0.3 auth-failures', 'block 10.200.0.4 auth-failures', 'block 10.200.0.0/24 prefix'],
      );
      await apply(fw, ds);
      // 10.200.0.5 and 10.200.0.2 never attacked: dropped in the kernel all the same.
      assert.deepEqual(await udpProbe(b, { host: link.a4, port: 5060, bind: '10.200.0.5' }), {
        sent: 5,
        replies: 0,
      });
      assert.equal((await udpProbe(b, { host: link.a4, port: 5060, bind: link.b4 })).replies, 0);
      assert.equal(echo.received('10.200.0.5'), 5, 'only the five datagrams sent before the block arrived');
      assert.equal(
        (await udpProbe(b, { host: link.a4, port: 5060, bind: ALLOWED })).replies,
        5,
        'allow wins',
      );
      assert.ok((await fw.snapshot()).dynamic.some((d) => d.ip === '10.200.0.0/24'));
      await apply(fw, p.unblock('10.200.0.0/24', T + 10));
      assert.equal((await udpProbe(b, { host: link.a4, port: 5060, bind: '10.200.0.5' })).replies, 5);
      assert.equal(
        (await udpProbe(b, { host: link.a4, port: 5060, bind: '10.200.0.3' })).replies,
        0,
        'its own block stays',
      );
    } finally {
      await echo.stop();
    }
  });

  it('IPv6: the held /64 is dropped whole, a never-seen address of it included', async () => {
    await fw.init(emptyFirewallState());
    const p = policy();
    const echo = await udpEcho(a, { port: 5060 });
    try {
      const ds = [...p.onVerdict(verdict('fd00:200::3', T)), ...p.onVerdict(verdict('fd00:200::4', T + 1))];
      assert.ok(ds.some((d) => d.ip === 'fd00:200::/64' && d.reason === 'prefix'));
      await apply(fw, ds);
      assert.equal((await udpProbe(b, { host: link.a6, port: 5060, bind: 'fd00:200::5' })).replies, 0);
      // IPv4 of the same host is another network: untouched.
      assert.equal((await udpProbe(b, { host: link.a4, port: 5060, bind: '10.200.0.5' })).replies, 5);
    } finally {
      await echo.stop();
    }
  });

  it("a prefix holding the admin's address is never blocked whole (its attackers still are, one by one)", async () => {
    await fw.init(emptyFirewallState());
    const admin = parseAddress('10.200.0.5')!;
    const p = policy((network) => networkContains(parseNetwork(network)!, admin));
    const echo = await udpEcho(a, { port: 5060 });
    try {
      const ds = [...p.onVerdict(verdict('10.200.0.3', T)), ...p.onVerdict(verdict('10.200.0.4', T + 1))];
      assert.deepEqual(
        ds.map((d) => d.ip),
        ['10.200.0.3', '10.200.0.4'],
      );
      await apply(fw, ds);
      assert.equal(
        (await udpProbe(b, { host: link.a4, port: 5060, bind: '10.200.0.5' })).replies,
        5,
        'the admin passes',
      );
      assert.equal((await udpProbe(b, { host: link.a4, port: 5060, bind: '10.200.0.3' })).replies, 0);
    } finally {
      await echo.stop();
    }
  });
});
