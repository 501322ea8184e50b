/**
 * Country blocking for real: the daemon (capture off) with the shipped geo-IP table and
 * nftables inside a namespace this test creates. Sources use addresses of a blocked
 * country, assigned inside the peer namespace, so nothing leaves the two namespaces.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { HttpAdmin } from '../src/admin/http-admin.js';
import { parseConfig } from '../src/core/config/parse.js';
import { isSipprotError } from '../src/core/errors.js';
import { Daemon } from '../src/daemon/daemon.js';
import { NftablesFirewall } from '../src/firewall/nftables.js';
import { runtimePaths } from '../src/platform/runtime-paths.js';
import { createPair, type Link, type Netns } from './netns.testkit.js';
import { udpEcho, udpProbe } from './udp.testkit.js';

// 1.0.0.0/24 is Australian in the shipped table; 8.8.8.0/24 is American.
const AU1 = '1.0.0.1';
const AU2 = '1.0.0.2';
const US1 = '8.8.8.1';

describe('blocked countries (daemon + nftables in a namespace)', () => {
  let a: Netns;
  let b: Netns;
  let link: Link;
  let destroy: () => Promise<void>;
  let daemon: Daemon;
  let admin: HttpAdmin;
  let dir: string;

  before(async () => {
    ({ a, b, link, destroy } = await createPair('geo'));
    for (const ip of [AU1, AU2, US1]) await b.addAddress(link.dev, `${ip}/32`);
    for (const net of ['1.0.0.0/24', '8.8.8.0/24'])
      await a.exec(['ip', 'route', 'add', net, 'dev', link.dev]);
    dir = mkdtempSync(join(tmpdir(), 'sipprot-geo-'));
    const conf = join(dir, 'sipprot.conf');
    const text = `STATE_DIR=${dir}/state\nWEB_LISTEN=off\nBLOCKED_COUNTRIES=AU\n`;
    writeFileSync(conf, text);
    writeFileSync(join(dir, 'sipprot.allowlist'), `${AU2} our office in Sydney\n`);
    const config = parseConfig(text, { source: conf });
    daemon = await Daemon.start(config, {
      firewall: new NftablesFirewall({ command: a.command('nft') }),
      capture: false,
      logger: pino({ level: 'silent' }),
      configPath: conf,
    });
    admin = new HttpAdmin(runtimePaths(config).socket);
  });
  after(async () => {
    await daemon?.stop();
    await destroy?.();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('drops the blocked country, lets an allowed address of it and other countries in', async () => {
    const echo = await udpEcho(a, { port: 5060 });
    try {
      assert.equal((await udpProbe(b, { host: link.a4, port: 5060, bind: AU1 })).replies, 0);
      assert.equal(
        (await udpProbe(b, { host: link.a4, port: 5060, bind: AU2 })).replies,
        5,
        'allow beats country',
      );
      assert.equal((await udpProbe(b, { host: link.a4, port: 5060, bind: US1 })).replies, 5);
      assert.equal(echo.received(AU1), 0);
    } finally {
      await echo.stop();
    }
    const stats = await daemon.liveStats();
    assert.ok((stats.drops?.country?.packets ?? 0) >= 5);
  });

  it('status and check name the country', async () => {
    const status = await admin.status();
    assert.deepEqual(status.countries.blocked, ['AU']);
    assert.ok(status.countries.ranges > 100, `AU has many ranges, got ${status.countries.ranges}`);
    const c = await admin.check(AU1);
    assert.equal(c.country, 'AU');
    assert.equal(c.countryBlocked, true);
    assert.equal(c.blocked, true);
    assert.equal((await admin.check(AU2)).blocked, false);
  });

  it('refuses to block the country the administrator connects from', async () => {
    // The CLI names its user's SSH client on the socket; the daemon's guard protects it.
    await assert.rejects(
      admin.call('PATCH', '/api/settings', { changes: { BLOCKED_COUNTRIES: 'AU,US' }, requester: US1 }),
      (e: unknown) => isSipprotError(e) && e.code === 'SP_ERR_LOCKOUT' && /country US/.test(e.message),
    );
    assert.deepEqual(daemon.config.blockedCountries, ['AU']);
  });

  it('a settings change replaces the country sets atomically', async () => {
    await admin.call('PATCH', '/api/settings', { changes: { BLOCKED_COUNTRIES: 'US' } });
    const echo = await udpEcho(a, { port: 5060 });
    try {
      assert.equal((await udpProbe(b, { host: link.a4, port: 5060, bind: US1 })).replies, 0);
      assert.equal((await udpProbe(b, { host: link.a4, port: 5060, bind: AU1 })).replies, 5);
    } finally {
      await echo.stop();
    }
  });
});
