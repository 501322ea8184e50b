/**
 * Issue 10 item 6, the country guard from every interface: a BLOCKED_COUNTRIES change that
 * would cut off the server's own addresses or the admin's session is refused (settings
 * over the socket as the CLI and UI send them, with the SSH client named), --force goes
 * ahead; its LAN and allow entries' neighbours are warned about in the answer; a config
 * file reload cannot be refused, so it says all of it (answer and log). The real shipped
 * geo-IP table: 1.0.0.0/24 is AU, 8.8.8.0/24 US, and a private LAN has no country at all.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { HttpAdmin } from '../admin/http-admin.js';
import { loadConfig } from '../config/load.js';
import { isSipprotError } from '../core/errors.js';
import { FakeFirewall } from '../firewall/firewall.fake.js';
import { runtimePaths } from '../platform/runtime-paths.js';
import { Daemon } from './daemon.js';

const FACTS = () => ({
  own: [{ ip: '1.0.0.5', iface: 'eth0' }],
  lans: [
    { network: '1.0.0.0/24', iface: 'eth0' },
    { network: '192.168.1.0/24', iface: 'eth1' },
  ],
  resolvers: [],
  gateways: [],
  sshPeers: [],
});

describe('country guard (daemon, shipped geo-IP table)', () => {
  let dir: string;
  let conf: string;
  let daemon: Daemon;
  let admin: HttpAdmin;
  const lines: Array<Record<string, unknown>> = [];
  const settings = (changes: Record<string, string>, extra: Record<string, unknown> = {}) =>
    admin.call<{ message?: string }>('PATCH', '/api/settings', { changes, ...extra });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sipprot-cguard-'));
    conf = join(dir, 'sipprot.conf');
    writeFileSync(conf, `STATE_DIR=${dir}/state\nWEB_LISTEN=off\n`, { mode: 0o600 });
    writeFileSync(join(dir, 'sipprot.allowlist'), '8.8.8.8 upstream DNS\n');
    const sink = new Writable({
      write(chunk, _e, done) {
        for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l));
        done();
      },
    });
    const config = loadConfig({ path: conf });
    daemon = await Daemon.start(config, {
      firewall: new FakeFirewall(),
      capture: false,
      logger: pino({ level: 'info' }, sink),
      configPath: conf,
      hostFacts: FACTS,
    });
    admin = new HttpAdmin(runtimePaths(config).socket);
  });
  after(async () => {
    await daemon?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("refuses a country holding the server's own address; --force goes ahead and warns about its LAN", async () => {
    await assert.rejects(settings({ BLOCKED_COUNTRIES: 'AU' }), (e: unknown) => {
      assert.ok(isSipprotError(e) && e.code === 'SP_ERR_LOCKOUT');
      assert.match(
        e.message,
        /blocking the country AU would cut off 1\.0\.0\.5 \(this host's address \(eth0\)\)/,
      );
      return true;
    });
    assert.deepEqual(daemon.config.blockedCountries, []);
    const forced = await settings({ BLOCKED_COUNTRIES: 'AU' }, { force: true });
    assert.deepEqual(daemon.config.blockedCountries, ['AU']);
    assert.match(
      forced.message ?? '',
      /warning: BLOCKED_COUNTRIES: blocking the country AU would cut off 1\.0\.0\.5/,
    );
    assert.match(
      forced.message ?? '',
      /this host's network 1\.0\.0\.0\/24 \(eth0\) has addresses in AU: they would be blocked/,
    );
    assert.doesNotMatch(forced.message ?? '', /192\.168\.1\.0/, 'a private LAN has no country');
    await settings({ BLOCKED_COUNTRIES: '' });
  });

  it("refuses the CLI user's country (the SSH client named on the socket)", async () => {
    await assert.rejects(
      settings({ BLOCKED_COUNTRIES: 'US' }, { requester: '8.8.4.4' }),
      /blocking the country US would cut off 8\.8\.4\.4 \(you are connected from it\)/,
    );
  });

  it("warns about an allow entry's neighbours", async () => {
    const r = await settings({ BLOCKED_COUNTRIES: 'US' });
    assert.match(
      r.message ?? '',
      /allow entry 8\.8\.8\.8 stays open, but its neighbours in 8\.8\.8\.0\/24 \(US\) would be blocked/,
    );
    await settings({ BLOCKED_COUNTRIES: '' });
  });

  it('a config file reload cannot be refused: it says what it cuts off, in the answer and the log', async () => {
    writeFileSync(conf, `STATE_DIR=${dir}/state\nWEB_LISTEN=off\nBLOCKED_COUNTRIES=AU\n`, { mode: 0o600 });
    lines.length = 0;
    const r = await admin.call<{ reloaded: boolean; message: string }>('POST', '/api/reload');
    assert.equal(r.reloaded, true);
    assert.match(r.message, /warning: BLOCKED_COUNTRIES: blocking the country AU would cut off 1\.0\.0\.5/);
    assert.ok(
      lines.some(
        (l) => l.level === 40 && /^BLOCKED_COUNTRIES: this host's network 1\.0\.0\.0\/24/.test(String(l.msg)),
      ),
      'logged too',
    );
  });
});
