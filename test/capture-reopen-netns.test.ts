/**
 * End to end (root): a capture whose interface disappears is a loud protection loss and
 * comes back by itself. A VPN, VLAN or bridge device deleted and created again (a
 * network restart, a driver reload) used to leave the daemon blind until an admin ran
 * reload: libpcap's socket stays bound to the old interface index. The real daemon
 * captures on veth0 of its namespace; the test deletes veth0, checks status says the
 * capture stopped, creates veth0 again and checks frames are counted again without a
 * reload, with the counters never going backwards.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { StatusReport } from '../src/ports/admin.js';
import { Guard, type GuardHost, run, waitFor } from './e2e/guard.testkit.js';
import { canUseNamespaces, connect, createPair, type Link, type Netns } from './netns.testkit.js';
import { udpProbe } from './udp.testkit.js';

describe('capture reopens when its interface comes back (netns, root)', () => {
  let pair: Awaited<ReturnType<typeof createPair>>;
  let guard: Guard;
  let link: Link;

  before(async () => {
    assert.ok(canUseNamespaces(), 'needs root and ip netns');
    pair = await createPair(`reopen${process.pid}`);
    link = pair.link;
    const host: GuardHost = {
      id: `reopen${process.pid}`,
      ns: { pbx: pair.a.name },
      exec: (_which, argv, timeoutMs) => run(pair.a.command(...argv), timeoutMs),
    };
    guard = await Guard.create(host, { INTERFACES: link.dev, PROTOCOLS: 'udp' });
    await guard.start();
  });

  after(async () => {
    await guard?.dispose();
    await pair?.destroy();
  });

  async function status(): Promise<StatusReport> {
    const r = await guard.cli('status', '--json');
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as StatusReport;
  }

  async function send(from: Netns, count: number): Promise<void> {
    await udpProbe(from, { host: link.a4, port: 5060, count, waitMs: 20 });
  }

  it('says the capture stopped, reopens it once veth0 is back, and counts frames again', async () => {
    await send(pair.b, 5);
    const first = await waitFor(
      '5 frames counted',
      async () => {
        const c = (await status()).live?.capture;
        return c && c.received >= 5 ? c.received : undefined;
      },
      10_000,
    );

    await run(['ip', '-n', pair.a.name, 'link', 'del', link.dev]);
    const lost = await waitFor(
      'status to say capture stopped',
      async () => {
        const p = (await status()).live?.protection?.capture;
        return p && !p.running ? p : undefined;
      },
      10_000,
    );
    assert.match(lost.lastError ?? '', /veth0.*(disappeared|went down)/);
    assert.match(guard.logText(), /PROTECTION LOST \(capture\)/);

    await connect(pair.a, pair.b, { dev: link.dev });
    await waitFor(
      'the capture to run again',
      async () => (await status()).live?.protection?.capture?.running === true,
      40_000,
    );
    assert.match(guard.logText(), /capture on interface \\?"veth0\\?" reopened/);
    assert.match(guard.logText(), /protection restored \(capture\)/);

    await send(pair.b, 5);
    await waitFor(
      '5 more frames counted, after the first ones',
      async () => {
        const c = (await status()).live?.capture;
        return c && c.received >= first + 5 ? true : undefined;
      },
      10_000,
    );
  });
});
