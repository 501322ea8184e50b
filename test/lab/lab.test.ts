/**
 * The SIP lab for real, as root: namespaces, Kamailio with digest auth, sipp phones and
 * brute force, SIPVicious, and a clean teardown. Traffic stays inside the lab.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { Lab, labUnavailable } from './lab.testkit.js';

describe('SIP lab (netns, root)', () => {
  let lab: Lab;

  before(async () => {
    const why = labUnavailable();
    assert.equal(why, null, `cannot run the SIP lab: ${why}`);
    lab = await Lab.up({ net: 9 });
  });
  after(async () => {
    await lab?.down();
  });

  it('is up: four namespaces, Kamailio listening on UDP and TCP, IPv4 and IPv6', async () => {
    assert.equal(await lab.status(), true);
    for (const ns of Object.values(lab.ns)) assert.ok(existsSync(`/run/netns/${ns}`), ns);
    const ss = await lab.exec('pbx', ['ss', '-Hlnut', 'sport = :5060']);
    for (const want of ['udp', 'tcp']) {
      assert.match(ss.stdout, new RegExp(`${want}.*10\\.77\\.9\\.1:5060`));
      assert.match(ss.stdout, new RegExp(`${want}.*\\[fd77:9::1\\]:5060`));
    }
  });

  it('phones from one address register with digest auth', async () => {
    const r = await lab.script('phones', ['--users', '100 101', '--loops', '2', '--interval', '300']);
    assert.equal(r.code, 0, r.stderr);
    const regs = lab.registrations().filter((x) => x.src === lab.addr.phone4);
    assert.deepEqual([...new Set(regs.map((x) => x.user))].sort(), ['100', '101']);
    assert.equal(regs.length, 4);
  });

  it('a TCP and an IPv6 brute force are answered and logged as failed auths with the source', async () => {
    const before = lab.authFailures().length;
    assert.equal(
      (await lab.script('bruteforce', ['--transport', 'tcp', '--count', '6', '--rate', '20'])).code,
      0,
    );
    assert.equal((await lab.script('bruteforce', ['--family', '6', '--count', '3', '--rate', '20'])).code, 0);
    const fails = lab.authFailures().slice(before);
    const tcp = fails.filter((f) => f.src === lab.addr.atk4 && f.proto === 'tcp');
    const v6 = fails.filter((f) => f.src === lab.addr.atk6 && f.proto === 'udp');
    assert.equal(tcp.length, 6);
    assert.equal(v6.length, 3);
    assert.ok(
      fails.every((f) => f.reason === 'wrong-password' && f.user === '100' && f.method === 'REGISTER'),
    );
  });

  it('svwar from an extra attacker address enumerates from that address (unknown users logged)', async () => {
    const src = lab.extraAttacker4(7);
    const r = await lab.script('sipvicious', ['svwar', '--range', '100-112', '--compact', '--src', src]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\| 109 +\| reqauth/);
    const unknown = lab.authFailures().filter((f) => f.src === src && f.reason === 'unknown-user');
    // 110-112 plus svwar's random probe extension
    assert.equal(unknown.length, 4);
    // the attacker namespace's preferred source is restored afterwards
    const route = await lab.exec('atk', ['ip', '-4', 'route', 'show', '10.77.9.0/24']);
    assert.match(route.stdout, /src 10\.77\.9\.66/);
  });

  it("refuses a source address that is not the attacker namespace's own", async () => {
    const r = await lab.script('bruteforce', ['--src', '10.77.9.1', '--count', '1']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /is not an address of/);
  });

  it('goes down completely, and down again is harmless', async () => {
    const other = await Lab.up({ net: 8 });
    assert.equal(await other.status(), true);
    await other.down();
    for (const ns of Object.values(other.ns)) assert.equal(existsSync(`/run/netns/${ns}`), false, ns);
    assert.equal(existsSync(other.runDir), false);
    await other.down();
    // the first lab is untouched by the second one's teardown
    assert.equal(await lab.status(), true);
  });
});
