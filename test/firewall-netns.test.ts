/**
 * The nftables adapter for real, as root, inside network namespaces this test creates:
 * the Firewall contract, then real traffic from a peer namespace (b) to the guarded
 * host (a). Nothing is sent anywhere else, and no rule touches the root namespace.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { isSipprotError } from '../src/core/errors.js';
import { firewallContract } from '../src/firewall/firewall.contract.js';
import { NftablesFirewall } from '../src/firewall/nftables.js';
import { ReconcilingFirewall } from '../src/firewall/reconcile.js';
import type { FirewallOptions, FirewallState } from '../src/ports/firewall.js';
import { DEFAULT_FIREWALL_OPTIONS, emptyFirewallState } from '../src/ports/firewall.js';
import {
  createPair,
  type Link,
  NETNS_PREFIX,
  type Netns,
  removeStaleNamespaces,
  run,
} from './netns.testkit.js';
import { udpEcho, udpProbe } from './udp.testkit.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// Blocks over netlink (the daemon's path) and through `nft -i` (without the addon).
for (const path of ['netlink', 'nft -i'] as const) {
  firewallContract(`NftablesFirewall (netns, blocks via ${path})`, async () => {
    const { a, destroy } = await createPair('fwc');
    const netns = path === 'netlink' ? a.name : undefined;
    const fw = new NftablesFirewall({ command: a.command('nft'), netns });
    return {
      fw,
      advance: (s) => sleep(s * 1000),
      cleanup: async () => {
        await fw.shutdown().catch(() => {});
        await destroy();
      },
    };
  });
}

function state(partial: Partial<FirewallState>): FirewallState {
  return { ...emptyFirewallState(), ...partial };
}

async function nft(ns: Netns, ...args: string[]): Promise<string> {
  return (await ns.exec(['nft', ...args])).stdout;
}

describe('NftablesFirewall with real traffic (netns)', () => {
  let a: Netns;
  let b: Netns;
  let link: Link;
  let destroy: () => Promise<void>;
  let fw: NftablesFirewall;
  /** A second source address in b, inside b's /24. */
  const b4x = '10.200.0.3';

  before(async () => {
    ({ a, b, link, destroy } = await createPair('fwt'));
    await b.addAddress(link.dev, `${b4x}/24`);
    fw = new NftablesFirewall({ command: a.command('nft'), netns: a.name });
    await fw.check();
  });
  after(async () => {
    await fw.shutdown().catch(() => {});
    await destroy();
  });

  it('a blocked IPv4 sender is cut off, and gets through again when the kernel lifts the block', async () => {
    await fw.init(emptyFirewallState());
    const echo = await udpEcho(a, { port: 5060 });
    try {
      assert.deepEqual(await udpProbe(b, { host: link.a4, port: 5060 }), { sent: 5, replies: 5 });
      await fw.block(link.b4, 2);
      assert.deepEqual(await udpProbe(b, { host: link.a4, port: 5060 }), { sent: 5, replies: 0 });
      assert.equal(echo.received(link.b4), 5, 'the blocked datagrams never reached the server');
      // Other addresses are not affected.
      assert.equal((await udpProbe(b, { host: link.a4, port: 5060, bind: b4x })).replies, 5);
      assert.ok((await fw.counters()).dynamic.packets >= 5);
      await sleep(2200);
      assert.deepEqual(await udpProbe(b, { host: link.a4, port: 5060 }), { sent: 5, replies: 5 });
    } finally {
      await echo.stop();
    }
  });

  it('answers to a blocked address are dropped on the way out too', async () => {
    await fw.init(emptyFirewallState());
    const echo = await udpEcho(b, { port: 5070 });
    try {
      assert.equal((await udpProbe(a, { host: link.b4, port: 5070 })).replies, 5);
      await fw.block(link.b4, 600);
      assert.equal((await udpProbe(a, { host: link.b4, port: 5070 })).replies, 0);
      assert.equal(echo.received(link.a4), 5, 'nothing the guarded host sent reached the blocked address');
      await fw.unblock(link.b4);
      assert.equal((await udpProbe(a, { host: link.b4, port: 5070 })).replies, 5);
    } finally {
      await echo.stop();
    }
  });

  it('blocks IPv6 senders, and unblock lets them in at once', async () => {
    await fw.init(emptyFirewallState());
    const echo = await udpEcho(a, { port: 5060 });
    try {
      assert.equal((await udpProbe(b, { host: link.a6, port: 5060 })).replies, 5);
      await fw.block(link.b6, 600);
      assert.equal((await udpProbe(b, { host: link.a6, port: 5060 })).replies, 0);
      // IPv4 from the same host is another address and still passes.
      assert.equal((await udpProbe(b, { host: link.a4, port: 5060 })).replies, 5);
      await fw.unblock(link.b6);
      assert.equal((await udpProbe(b, { host: link.a6, port: 5060 })).replies, 5);
    } finally {
      await echo.stop();
    }
  });

  it('deny a /24 + allow one address in it: that one passes (even when blocked), the rest does not', async () => {
    await fw.init(state({ deny: ['10.200.0.0/24'], allow: [link.b4] }));
    const echo = await udpEcho(a, { port: 5060 });
    try {
      assert.equal((await udpProbe(b, { host: link.a4, port: 5060 })).replies, 5);
      assert.equal((await udpProbe(b, { host: link.a4, port: 5060, bind: b4x })).replies, 0);
      await fw.block(link.b4, 600);
      assert.equal((await udpProbe(b, { host: link.a4, port: 5060 })).replies, 5, 'allow beats dynamic');
      assert.ok((await fw.counters()).deny.packets >= 5);
      // Country ranges drop too, and allow beats them as well.
      await fw.setList('deny', []);
      await fw.setCountries(['10.200.0.0/24', 'fd00:200::/48']);
      assert.equal((await udpProbe(b, { host: link.a4, port: 5060, bind: b4x })).replies, 0);
      assert.equal((await udpProbe(b, { host: link.a6, port: 5060 })).replies, 0);
      assert.equal((await udpProbe(b, { host: link.a4, port: 5060 })).replies, 5);
      assert.ok((await fw.counters()).country.packets >= 10);
    } finally {
      await echo.stop();
    }
  });

  it('feeds: a feed network drops its senders, allow still wins, and the kernel ages the entry out', async () => {
    await fw.init(state({ allow: [link.b4], feeds: [{ network: '10.200.0.0/24', expiresIn: 600 }] }));
    const echo = await udpEcho(a, { port: 5060 });
    try {
      assert.equal((await udpProbe(b, { host: link.a4, port: 5060, bind: b4x })).replies, 0);
      assert.equal((await udpProbe(b, { host: link.a4, port: 5060 })).replies, 5, 'allow beats feeds');
      assert.ok((await fw.counters()).feed.packets >= 5);
      // setFeeds swaps the sets in one transaction; an IPv6 entry drops IPv6 senders.
      await fw.setFeeds([{ network: 'fd00:200::/48', expiresIn: 60 }]);
      assert.equal((await udpProbe(b, { host: link.a6, port: 5060 })).replies, 0);
      assert.equal((await udpProbe(b, { host: link.a4, port: 5060, bind: b4x })).replies, 5);
      // A short timeout lapses in the kernel, with no daemon action: the entry is there with
      // its timeout, then gone and its sender answered — never before the timeout (a probe
      // right after the set would race the timeout on a loaded machine; the kernel's list
      // does not).
      const since = Date.now();
      await fw.setFeeds([{ network: '10.200.0.3', expiresIn: 3 }]);
      const held = (await fw.snapshot()).feeds?.find((f) => f.network === '10.200.0.3');
      assert.ok(held && held.expiresIn <= 3, JSON.stringify(held));
      let replies = 0;
      while (replies !== 5 && Date.now() - since < 15_000) {
        await sleep(250);
        replies = (await udpProbe(b, { host: link.a4, port: 5060, bind: b4x })).replies;
      }
      assert.equal(replies, 5, 'the entry did not lapse in 15 s');
      assert.ok(Date.now() - since >= 2500, `lapsed after ${Date.now() - since} ms, before its 3 s`);
      assert.equal(
        (await fw.snapshot()).feeds?.some((f) => f.network === '10.200.0.3'),
        false,
      );
    } finally {
      await echo.stop();
    }
  });

  it('allowed addresses are only exempt from sipprot: the host firewall still applies', async () => {
    await fw.init(state({ allow: [link.b4] }));
    await a.exec(['nft', '-f', '-'], {
      input:
        'table inet hostfw {\n chain input { type filter hook input priority 0; udp dport 5060 drop; }\n}\n',
    });
    const echo = await udpEcho(a, { port: 5060 });
    try {
      assert.equal((await udpProbe(b, { host: link.a4, port: 5060 })).replies, 0);
    } finally {
      await echo.stop();
      await a.exec(['nft', 'delete', 'table', 'inet', 'hostfw']);
    }
  });

  it('cuts off an established UDP flow that another firewall accepts, before conntrack sees it', async () => {
    await fw.init(emptyFirewallState());
    // The classic hole: a host firewall that accepts established traffic first.
    // `est` counts what conntrack sees as established (it runs after conntrack, -200).
    await a.exec(['nft', '-f', '-'], {
      input: `table inet other {
        counter est {}
        chain pre { type filter hook prerouting priority -150; ct state established counter name est; }
        chain input { type filter hook input priority 0; policy drop; ct state established,related accept; udp dport 5060 accept; }
      }\n`,
    });
    const echo = await udpEcho(a, { port: 5060 });
    const flow = { host: link.a4, port: 5060, sport: 40_123 };
    const conntrackEntry = async () => {
      const table = (await a.exec(['cat', '/proc/net/nf_conntrack'])).stdout;
      return table.split('\n').find((l) => l.includes(`src=${link.b4}`) && l.includes('sport=40123'));
    };
    const timeoutOf = (entry: string | undefined) => Number(entry?.split(/\s+/)[4]);
    const est = async () => {
      const j = JSON.parse(await nft(a, '-j', 'list', 'counter', 'inet', 'other', 'est'));
      return (j.nftables[1].counter as { packets: number }).packets;
    };
    try {
      // Replies seen for more than 2 s: conntrack calls the flow an assured stream.
      assert.equal((await udpProbe(b, { ...flow, count: 25, intervalMs: 100 })).replies, 25);
      const entry = await conntrackEntry();
      assert.match(entry ?? '', /ASSURED/, 'the flow is an assured conntrack entry');
      const estBefore = await est();
      assert.ok(estBefore >= 24);

      await fw.block(link.b4, 600);
      const t1 = timeoutOf(await conntrackEntry());
      assert.deepEqual(await udpProbe(b, { ...flow, count: 20, intervalMs: 50 }), { sent: 20, replies: 0 });
      assert.equal(echo.received(link.b4), 25, 'nothing reached the server');
      assert.equal(await est(), estBefore, 'conntrack never saw the blocked packets');
      // The entry is left to age out: the blocked packets did not refresh it.
      const t2 = timeoutOf(await conntrackEntry());
      assert.ok(t2 < t1, `conntrack timeout ${t1} → ${t2} should only go down`);
    } finally {
      await echo.stop();
      await a.exec(['nft', 'delete', 'table', 'inet', 'other']);
    }
  });

  it('TFTP: each source gets its burst, then is rate limited', async () => {
    const tftp: FirewallOptions = {
      tftp: { enabled: true, rate: { count: 1, per: 'minute' }, burst: 20 },
      dns: true,
    };
    await fw.init(state({ options: tftp }));
    const server = await udpEcho(a, { port: 69, echo: false });
    try {
      await udpProbe(b, { host: link.a4, port: 69, count: 60, intervalMs: 1, waitMs: 100 });
      await udpProbe(b, { host: link.a4, port: 69, count: 30, intervalMs: 1, waitMs: 100, bind: b4x });
      await sleep(100);
      const first = server.received(link.b4);
      const second = server.received(b4x);
      assert.ok(first >= 20 && first <= 22, `first source: ${first} datagrams passed, want the burst (20)`);
      assert.ok(second >= 20 && second <= 22, `second source: ${second} passed, want its own burst (20)`);
      assert.ok((await fw.counters()).tftp.packets >= 60 - 22 + 30 - 22);
      // Switched off: everything passes.
      await fw.setOptions({ ...tftp, tftp: { ...tftp.tftp, enabled: false } });
      await udpProbe(b, { host: link.a4, port: 69, count: 30, intervalMs: 1, waitMs: 100 });
      await sleep(100);
      assert.equal(server.received(link.b4), first + 30);
    } finally {
      await server.stop();
    }
  });

  it('DNS guard drops oversized UDP answers (source port 53) and can be switched off', async () => {
    await fw.init(state({ options: { ...DEFAULT_FIREWALL_OPTIONS, dns: true } }));
    const resolver = await udpEcho(a, { port: 33_000, echo: false });
    const answer = (size: number) =>
      udpProbe(b, { host: link.a4, port: 33_000, sport: 53, size, count: 1, waitMs: 50 });
    try {
      await answer(512);
      await answer(513);
      await answer(1400);
      await sleep(100);
      assert.equal(resolver.received(link.b4), 1, 'only the 512-byte answer passes');
      assert.equal((await fw.counters()).dns.packets, 2);
      await fw.setOptions({ ...DEFAULT_FIREWALL_OPTIONS, dns: false });
      await answer(1400);
      await sleep(100);
      assert.equal(resolver.received(link.b4), 2);
    } finally {
      await resolver.stop();
    }
  });

  it('DNS guard stops a TCP answer longer than 1024 bytes, passes a shorter one', async () => {
    await fw.init(state({ options: { ...DEFAULT_FIREWALL_OPTIONS, dns: true } }));
    // A "DNS server" in b on TCP 53 that answers every connection with N bytes.
    const server = b.spawnNode(
      `const net = require('node:net');
       net.createServer((c) => { c.on('data', (d) => c.end(Buffer.alloc(Number(d.toString()), 65))); c.on('error', () => {}); })
         .listen(53, '${link.b4}', () => process.stdout.write('ready\\n'));
       setTimeout(() => process.exit(0), 60000);`,
    );
    await new Promise<void>((resolve) => server.stdout!.once('data', () => resolve()));
    const fetch = async (size: number) => {
      const r = await a.exec([
        process.execPath,
        '-e',
        `const net = require('node:net'); let n = 0;
         const s = net.connect(53, '${link.b4}', () => s.write('${size}'));
         s.on('data', (d) => { n += d.length; }); s.on('error', () => {});
         const done = () => { process.stdout.write(String(n)); process.exit(0); };
         s.on('end', done); setTimeout(done, 1500);`,
      ]);
      return Number(r.stdout);
    };
    try {
      assert.equal(await fetch(1000), 1000);
      assert.equal(await fetch(1400), 0);
      await fw.setOptions({ ...DEFAULT_FIREWALL_OPTIONS, dns: false });
      assert.equal(await fetch(1400), 1400);
    } finally {
      server.kill('SIGKILL');
    }
  });

  it('never drops loopback, even when everything is denied', async () => {
    await fw.init(state({ deny: ['0.0.0.0/0', '::/0'] }));
    const echo = await udpEcho(a, { port: 5060 });
    try {
      assert.equal((await udpProbe(a, { host: '127.0.0.1', port: 5060 })).replies, 5);
      assert.equal((await udpProbe(a, { host: '::1', port: 5060 })).replies, 5);
      assert.equal((await udpProbe(a, { host: link.a4, port: 5060 })).replies, 5, 'own address, via lo');
      assert.equal((await udpProbe(b, { host: link.a4, port: 5060 })).replies, 0);
    } finally {
      await echo.stop();
    }
  });

  it('reports nft errors as SP_ERR_FIREWALL and recovers after init', async () => {
    await fw.init(emptyFirewallState());
    await a.exec(['nft', 'delete', 'table', 'inet', 'sipprot']);
    await assert.rejects(fw.block(link.b4, 60), (e: unknown) => {
      assert.ok(isSipprotError(e) && e.code === 'SP_ERR_FIREWALL', String(e));
      assert.match(e.message, /No such file or directory/);
      return true;
    });
    await assert.rejects(fw.setList('deny', ['192.0.2.0/24']), { code: 'SP_ERR_FIREWALL' });
    await fw.init(emptyFirewallState());
    await fw.block(link.b4, 60);
    assert.deepEqual(
      (await fw.snapshot()).dynamic.map((d) => d.ip),
      [link.b4],
    );
  });

  it('ReconcilingFirewall restores the store state when the table vanished behind its back', async () => {
    const store = state({ deny: [`${b4x}/32`], dynamic: [{ ip: link.b6, expiresIn: 600 }] });
    const healing = new ReconcilingFirewall(fw, async () => structuredClone(store));
    await healing.init(store);
    await a.exec(['nft', 'delete', 'table', 'inet', 'sipprot']);
    store.dynamic.push({ ip: link.b4, expiresIn: 600 });
    await healing.block(link.b4, 600);
    assert.equal(healing.reconciles, 1);
    const s = await fw.snapshot();
    assert.deepEqual(s.deny, [b4x]);
    assert.deepEqual(
      s.dynamic.map((d) => d.ip),
      [link.b4, link.b6],
    );
    const echo = await udpEcho(a, { port: 5060 });
    try {
      assert.equal((await udpProbe(b, { host: link.a4, port: 5060 })).replies, 0);
    } finally {
      await echo.stop();
    }
  });

  it('blocks outlive the process that made them (kill -9): a new instance sees them, init replaces them', async () => {
    await fw.init(state({ deny: ['192.0.2.0/24'] }));
    await fw.block(link.b4, 600);
    // A second adapter, as a restarted daemon would create; the first never shut down.
    const restarted = new NftablesFirewall({ command: a.command('nft'), netns: a.name });
    const s = await restarted.snapshot();
    assert.deepEqual(
      s.dynamic.map((d) => d.ip),
      [link.b4],
    );
    assert.deepEqual(s.deny, ['192.0.2.0/24']);
    await restarted.init(state({ dynamic: [{ ip: link.b6, expiresIn: 60 }] }));
    const after = await fw.snapshot();
    assert.deepEqual(after.deny, []);
    assert.deepEqual(
      after.dynamic.map((d) => d.ip),
      [link.b6],
    );
    // The first adapter keeps working on the replaced table (its layout is stale only
    // for lists, which a failed change would reconcile).
    await fw.block(link.b4, 60);
    assert.equal((await restarted.snapshot()).dynamic.length, 2);
  });

  it('shutdown deletes table inet sipprot and nothing else', async () => {
    await a.exec(['nft', 'add', 'table', 'inet', 'unrelated']);
    await a.exec(['nft', 'add', 'table', 'ip', 'sipprot']);
    await fw.init(state({ deny: ['192.0.2.0/24'] }));
    await fw.shutdown();
    const tables = (await nft(a, 'list', 'tables')).trim().split('\n').sort();
    assert.deepEqual(tables, ['table inet unrelated', 'table ip sipprot']);
    await a.exec(['nft', 'delete', 'table', 'inet', 'unrelated']);
    await a.exec(['nft', 'delete', 'table', 'ip', 'sipprot']);
  });
});

describe('NftablesFirewall.check', () => {
  let a: Netns;
  let destroy: () => Promise<void>;
  before(async () => {
    ({ a, destroy } = await createPair('fwk'));
  });
  after(async () => destroy());

  it('passes as root and changes nothing', async () => {
    await new NftablesFirewall({ command: a.command('nft') }).check();
    assert.equal((await nft(a, 'list', 'ruleset')).trim(), '');
  });

  it('says nft is missing', async () => {
    await assert.rejects(new NftablesFirewall({ command: ['/nonexistent/nft'] }).check(), (e: unknown) => {
      assert.ok(isSipprotError(e) && e.code === 'SP_ERR_FIREWALL');
      assert.match(e.message, /not found.*apt install nftables/);
      return true;
    });
  });

  it('says CAP_NET_ADMIN is missing', async () => {
    const unprivileged = a.command(
      'setpriv',
      '--reuid=65534',
      '--regid=65534',
      '--clear-groups',
      '--inh-caps=-all',
      'nft',
    );
    await assert.rejects(new NftablesFirewall({ command: unprivileged }).check(), (e: unknown) => {
      assert.ok(isSipprotError(e) && e.code === 'SP_ERR_PERMISSION', String(e));
      assert.match(e.message, /CAP_NET_ADMIN/);
      return true;
    });
  });
});

describe('netns helper', () => {
  const rootLinks = async () =>
    (JSON.parse((await run(['ip', '-j', 'link', 'show'])).stdout) as Array<{ ifname: string }>).map(
      (l) => l.ifname,
    );
  const namespaces = () => execFileSync('ip', ['netns', 'list']).toString();

  it('joins two namespaces without touching the root namespace, and destroy removes all', async () => {
    const before = await rootLinks();
    const { a, b, link, destroy } = await createPair('helper');
    try {
      assert.match(a.name, new RegExp(`^${NETNS_PREFIX}helper-a-${process.pid}-\\d+$`));
      assert.notEqual(a.name, b.name);
      assert.deepEqual((await a.addresses(link.dev)).slice(0, 2), [link.a4, link.a6]);
      assert.deepEqual(await rootLinks(), before, 'no interface appeared in the root namespace');
      const echo = await udpEcho(a, { port: 7 });
      assert.deepEqual(await udpProbe(b, { host: link.a6, port: 7, count: 3 }), { sent: 3, replies: 3 });
      const sleeper = b.spawn(['sleep', '600']);
      await destroy();
      await echo.stop();
      assert.ok(
        sleeper.signalCode === 'SIGKILL' || sleeper.exitCode !== null,
        'spawned processes are killed',
      );
      assert.doesNotMatch(namespaces(), new RegExp(`${a.name}|${b.name}`));
    } finally {
      await destroy();
    }
  });

  it('removeStaleNamespaces deletes only namespaces of dead test processes', async () => {
    const dead = spawnSync('true').pid;
    const stale = `sptest-stale-${dead}-1`;
    await run(['ip', 'netns', 'add', stale]);
    const { a, destroy } = await createPair('alive');
    try {
      const removed = await removeStaleNamespaces();
      assert.ok(removed.includes(stale));
      assert.ok(!removed.includes(a.name));
      assert.match(namespaces(), new RegExp(a.name));
      assert.doesNotMatch(namespaces(), new RegExp(stale));
    } finally {
      await run(['ip', 'netns', 'del', stale], { allowFail: true });
      await destroy();
    }
  });
});
