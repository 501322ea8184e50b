/** The host facts the lock-out guard and the forged-packet shield protect, read from /proc-shaped text. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  parseGateways,
  parseResolvConf,
  parseTcpPeers,
  protectedByHost,
  readHostFacts,
  readHostFactsAsync,
} from './host-facts.js';

const ROUTE = `Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0
eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
`;
const IPV6_ROUTE = `00000000000000000000000000000000 00 00000000000000000000000000000000 00 fe800000000000000000000000000001 00000400 00000001 00000000 00000003 eth0
fd000000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001 eth0
`;
const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0200C0C0:0016 3200710CB:CC50 01 00000000:00000000 02:000AF0F8 00000000     0        0 1 1
   1: 0200C0C0:0016 327100CB:CC51 01 00000000:00000000 02:000AF0F8 00000000     0        0 1 1
   2: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1
   3: 0200C0C0:1F90 337100CB:CC52 01 00000000:00000000 02:000AF0F8 00000000     0        0 3 1
`;
const TCP6 = `  sl  local_address                         remote_address                        st
   0: 00000000000000000000000002000000:0016 B80D0120000000000000000009000000:D431 01 0
`;

describe('host facts', () => {
  it('resolv.conf nameservers, with zone ids dropped and junk skipped', () => {
    assert.deepEqual(
      parseResolvConf(
        '# x\nnameserver 10.255.255.53\nnameserver fe80::1%eth0\nnameserver bogus\nsearch lan\n',
      ),
      ['10.255.255.53', 'fe80::1'],
    );
  });

  it('gateways from /proc/net/route (little-endian) and ipv6_route (big-endian)', () => {
    assert.deepEqual(parseGateways(ROUTE, IPV6_ROUTE), ['192.0.2.1', 'fe80::1']);
  });

  it('established SSH peers only (local port 22, state 01), IPv4 and IPv6', () => {
    assert.deepEqual(parseTcpPeers(TCP, 22), ['203.0.113.50']);
    assert.deepEqual(parseTcpPeers(TCP6, 22), ['2001:db8::9']);
  });

  it('the async read (the daemon timer) gives the same facts; missing files count as empty', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sipprot-host-'));
    try {
      writeFileSync(join(dir, 'route'), ROUTE);
      writeFileSync(join(dir, 'tcp6'), TCP6);
      const src = { procNet: dir, resolvConf: join(dir, 'none.conf'), interfaces: () => ({}) };
      const facts = await readHostFactsAsync(src);
      assert.deepEqual(facts, readHostFacts(src));
      assert.deepEqual(facts.gateways, ['192.0.2.1']);
      assert.deepEqual(facts.sshPeers, ['2001:db8::9']);
      assert.deepEqual(facts.resolvers, []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads them all and names why each is protected', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sipprot-host-'));
    try {
      writeFileSync(join(dir, 'route'), ROUTE);
      writeFileSync(join(dir, 'ipv6_route'), IPV6_ROUTE);
      writeFileSync(join(dir, 'tcp'), TCP);
      writeFileSync(join(dir, 'tcp6'), TCP6);
      writeFileSync(join(dir, 'resolv.conf'), 'nameserver 192.0.2.53\n');
      const facts = readHostFacts({
        procNet: dir,
        resolvConf: join(dir, 'resolv.conf'),
        interfaces: () => ({
          lo: [{ address: '127.0.0.1', internal: true } as never],
          eth0: [
            { address: '192.0.2.2', cidr: '192.0.2.2/24', internal: false } as never,
            { address: 'fe80::2%eth0', cidr: 'fe80::2/64', internal: false } as never,
          ],
        }),
      });
      assert.deepEqual(facts.lans, [
        { network: '192.0.2.0/24', iface: 'eth0' },
        { network: 'fe80::/64', iface: 'eth0' },
      ]);
      assert.deepEqual(facts.own, [
        { ip: '192.0.2.2', iface: 'eth0' },
        { ip: 'fe80::2', iface: 'eth0' },
      ]);
      assert.deepEqual(
        protectedByHost(facts).map((p) => `${p.ip}: ${p.why}`),
        [
          "192.0.2.2: this host's address (eth0)",
          "fe80::2: this host's address (eth0)",
          "192.0.2.53: this host's DNS resolver",
          "192.0.2.1: this host's gateway",
          "fe80::1: this host's gateway",
          '203.0.113.50: an SSH session to this host',
          '2001:db8::9: an SSH session to this host',
        ],
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
