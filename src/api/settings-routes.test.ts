import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CONFIG_KEYS } from '../core/config/keys.js';
import { apiError, type Client, type Harness, harness, login } from './http.testkit.js';
import type { SettingField } from './types.js';

describe('settings', () => {
  let h: Harness;
  let c: Client;
  before(async () => {
    h = await harness('tcp');
    c = await login(h.app, '203.0.113.50');
  });
  after(() => h.close());

  test('read: every config key with metadata; the SMTP password is never sent', async () => {
    h.world.settings.values.SMTP_PASSWORD = 's3cret-smtp';
    h.world.settings.values.CLUSTER_REDIS_URL = 'redis://u:redispw@10.0.0.5:6379/0';
    const res = await c.req({ method: 'GET', url: '/api/settings' });
    assert.equal(res.statusCode, 200);
    assert.doesNotMatch(res.body, /s3cret-smtp|redispw/);
    const body = res.json();
    const keys = body.fields.map((f: SettingField) => f.key);
    for (const k of CONFIG_KEYS) assert.ok(keys.includes(k.key), k.key);
    const hit = body.fields.find((f: SettingField) => f.key === 'HIT_COUNT');
    assert.equal(hit.value, '10');
    assert.equal(hit.allowed, 'an integer 1-10000');
    const pw = body.fields.find((f: SettingField) => f.key === 'SMTP_PASSWORD');
    assert.deepEqual([pw.value, pw.secret, pw.secretSet], ['', true, true]);
    const redis = body.fields.find((f: SettingField) => f.key === 'CLUSTER_REDIS_URL');
    assert.equal(redis.value, 'redis://u:********@10.0.0.5:6379/0');
    assert.ok(body.countries.some((x: { code: string }) => x.code === 'DE'));
    assert.equal(body.source, '/etc/sipprot/sipprot.conf');
  });

  test('validate: errors name key, value and what is allowed', async () => {
    const res = await c.req({
      method: 'POST',
      url: '/api/settings/validate',
      payload: { changes: { HIT_COUNT: '0', sip_ports: '5060,70000', BLOCK_THRESHOLD: '3', NOPE: 'x' } },
    });
    const body = res.json();
    assert.equal(body.ok, false);
    const byKey = Object.fromEntries(body.errors.map((e: { key: string }) => [e.key, e]));
    assert.deepEqual(Object.keys(byKey).sort(), ['HIT_COUNT', 'NOPE', 'SIP_PORTS']);
    assert.equal(byKey.HIT_COUNT.value, '0');
    assert.equal(byKey.HIT_COUNT.allowed, 'an integer 1-10000');
    assert.match(byKey.HIT_COUNT.message, /HIT_COUNT must be an integer 1-10000/);
    assert.match(byKey.SIP_PORTS.message, /70000 is out of range/);
    assert.match(byKey.NOPE.message, /unknown setting/);
    const good = await c.req({
      method: 'POST',
      url: '/api/settings/validate',
      payload: { changes: { BLOCK_THRESHOLD: '3' } },
    });
    assert.deepEqual(good.json(), { ok: true, errors: [] });
  });

  test('change: applied through the daemon with the requester; legacy spellings accepted', async () => {
    const res = await c.req({
      method: 'PATCH',
      url: '/api/settings',
      payload: { changes: { block_time: '900', SCANNERS: 'friendly-scanner, sipvicious' } },
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(h.world.settings.updates.at(-1), {
      changes: { BLOCKTIME: '900', SCANNERS: 'friendly-scanner, sipvicious' },
      requester: '203.0.113.50',
    });
    const body = res.json();
    assert.equal(body.fields.find((f: SettingField) => f.key === 'BLOCKTIME').value, '900');
    assert.match(body.message, /applied/);
  });

  test('an empty value restores the default', async () => {
    await c.req({ method: 'PATCH', url: '/api/settings', payload: { changes: { HIT_COUNT: '' } } });
    assert.deepEqual(h.world.settings.updates.at(-1)!.changes, { HIT_COUNT: '10' });
  });

  test('change with an invalid value: nothing applied, SP_ERR_CONFIG_INVALID with details', async () => {
    const before = h.world.settings.updates.length;
    const res = await c.req({
      method: 'PATCH',
      url: '/api/settings',
      payload: { changes: { BLOCKTIME: '900', BLOCKED_COUNTRIES: 'DE,XX' } },
    });
    const err = apiError(res, 400, 'SP_ERR_CONFIG_INVALID');
    assert.match(err.message, /'DE,XX' for BLOCKED_COUNTRIES/);
    assert.equal((err.details as { errors: unknown[] }).errors.length, 1);
    assert.equal(h.world.settings.updates.length, before);
  });

  test('a value with a line break cannot inject a second key', async () => {
    const res = await c.req({
      method: 'PATCH',
      url: '/api/settings',
      payload: { changes: { SMTP_USER: 'bob\nWEB_LISTEN=0.0.0.0:80' } },
    });
    assert.match(apiError(res, 400, 'SP_ERR_CONFIG_INVALID').message, /control characters/);
  });

  test('host-only keys (paths, listeners, interfaces, cluster) cannot be changed from the web', async () => {
    // Issue 10 item 2: DENYLIST_FILE=~/.profile then a deny entry wrote attacker text as root.
    const before = h.world.settings.updates.length;
    for (const [key, value] of [
      ['DENYLIST_FILE', '/root/.profile'],
      ['ALLOWLIST_FILE', '/tmp/empty'],
      ['STATE_DIR', '/tmp'],
      ['WEB_LISTEN', '0.0.0.0:8040'],
      ['HEP_LISTEN', '0.0.0.0:9060'],
      ['INTERFACES', 'eth1'],
      ['CLUSTER_REDIS_URL', 'redis://evil.example:6379/0'],
      ['METRICS_LISTEN', '0.0.0.0:9560'],
      ['METRICS_TOKEN', 'abcdefghijklmnop0123'],
      ['EXPORT_TOKEN', 'abcdefghijklmnop0123'],
      ['FEEDS_FILE', '/tmp/feeds'],
      ['GEOIP_MMDB', '/etc/sipprot/evil.mmdb'],
    ]) {
      const res = await c.req({
        method: 'PATCH',
        url: '/api/settings',
        payload: { changes: { [key!]: value } },
      });
      const err = apiError(res, 400, 'SP_ERR_CONFIG_INVALID');
      assert.match(err.message, new RegExp(`${key} is set in the config file on the host`));
      const v = await c.req({
        method: 'POST',
        url: '/api/settings/validate',
        payload: { changes: { [key!]: value } },
      });
      assert.equal(v.json().ok, false, key);
    }
    assert.equal(h.world.settings.updates.length, before);
    const fields = (await c.req({ method: 'GET', url: '/api/settings' })).json().fields as SettingField[];
    const hostOnly = fields
      .filter((f) => f.hostOnly)
      .map((f) => f.key)
      .sort();
    assert.deepEqual(hostOnly, [
      'ALLOWLIST_FILE',
      'CLUSTER_HOST_ID',
      'CLUSTER_REDIS_URL',
      'DENYLIST_FILE',
      'EXPORT_TOKEN',
      'FEEDS_FILE',
      'GEOIP_MMDB',
      'HEP_LISTEN',
      'INTERFACES',
      'LOG_FORMAT',
      'LOG_LEVEL',
      'METRICS_LISTEN',
      'METRICS_TOKEN',
      'STATE_DIR',
      'WEB_HOSTNAMES',
      'WEB_LISTEN',
      'WEB_TLS_CERT',
      'WEB_TLS_KEY',
    ]);
  });

  test('GEOIP_UPDATE_URL: http(s), or a file in the config directory only', async () => {
    for (const bad of ['/etc/shadow', 'file:///etc/shadow', '/etc/sipprot/../shadow', 'ftp://x/y']) {
      const res = await c.req({
        method: 'PATCH',
        url: '/api/settings',
        payload: { changes: { GEOIP_UPDATE_URL: bad } },
      });
      apiError(res, 400, 'SP_ERR_CONFIG_INVALID');
    }
    for (const good of [
      'https://example.org/geo.csv',
      '/etc/sipprot/geo.csv',
      'file:///etc/sipprot/geo/x.csv',
    ]) {
      const res = await c.req({
        method: 'PATCH',
        url: '/api/settings',
        payload: { changes: { GEOIP_UPDATE_URL: good } },
      });
      assert.equal(res.statusCode, 200, `${good}: ${res.body}`);
    }
  });

  test('moving the SMTP server from the web needs the SMTP password again', async () => {
    // Issue 10 item 4: change SMTP_HOST, then "send test mail" hands the stored password over.
    h.world.settings.values.SMTP_PASSWORD = 's3cret-smtp';
    h.world.settings.values.SMTP_HOST = 'mail.example.org';
    const before = h.world.settings.updates.length;
    for (const changes of [
      { SMTP_HOST: 'evil.example' },
      { SMTP_PORT: '2525' },
      { SMTP_TLS: 'none' },
      { SMTP_USER: 'other' },
    ]) {
      const res = await c.req({ method: 'PATCH', url: '/api/settings', payload: { changes } });
      const err = apiError(res, 400, 'SP_ERR_CONFIG_INVALID');
      assert.match(err.message, /needs the SMTP password again/);
    }
    assert.equal(h.world.settings.updates.length, before);
    const same = await c.req({
      method: 'PATCH',
      url: '/api/settings',
      payload: { changes: { SMTP_HOST: 'mail.example.org', NOTIFY_INTERVAL: '600' } },
    });
    assert.equal(same.statusCode, 200, 'an unchanged host needs no password');
    const withPw = await c.req({
      method: 'PATCH',
      url: '/api/settings',
      payload: { changes: { SMTP_HOST: 'relay.example.org', SMTP_PASSWORD: 'typed-again' } },
    });
    assert.equal(withPw.statusCode, 200, withPw.body);
    delete h.world.settings.values.SMTP_PASSWORD;
  });

  test('the redacted redis password is not written back', async () => {
    const res = await c.req({
      method: 'PATCH',
      url: '/api/settings',
      payload: { changes: { CLUSTER_REDIS_URL: 'redis://u:********@10.0.0.6:6379/0' } },
    });
    apiError(res, 400, 'SP_ERR_CONFIG_INVALID');
  });

  test('empty change and wrong body: SP_ERR_USAGE', async () => {
    apiError(
      await c.req({ method: 'PATCH', url: '/api/settings', payload: { changes: {} } }),
      400,
      'SP_ERR_USAGE',
    );
    apiError(
      await c.req({ method: 'PATCH', url: '/api/settings', payload: { changes: [] } }),
      400,
      'SP_ERR_USAGE',
    );
  });

  test("blocking the browser's own country is refused unless it is allow-listed", async () => {
    h.world.admin.countries.set('203.0.113.50', 'NL');
    const res = await c.req({
      method: 'PATCH',
      url: '/api/settings',
      payload: { changes: { BLOCKED_COUNTRIES: 'cn,nl' } },
    });
    const err = apiError(res, 409, 'SP_ERR_LOCKOUT');
    assert.match(
      err.message,
      /blocking the country NL would cut off 203\.0\.113\.50 \(you are connected from it\)/,
    );
    const other = await c.req({
      method: 'PATCH',
      url: '/api/settings',
      payload: { changes: { BLOCKED_COUNTRIES: 'CN' } },
    });
    assert.equal(other.statusCode, 200);
    h.world.admin.lists.allow.set('203.0.113.50', 'me');
    const allowed = await c.req({
      method: 'PATCH',
      url: '/api/settings',
      payload: { changes: { BLOCKED_COUNTRIES: 'CN,NL' } },
    });
    assert.equal(allowed.statusCode, 200);
    h.world.admin.lists.allow.clear();
  });
});

describe('settings over the root-only socket (the CLI)', () => {
  test('host-only keys may be changed there', async () => {
    const h = await harness('socket');
    try {
      const res = await h.app.inject({
        method: 'PATCH',
        url: '/api/settings',
        payload: { changes: { INTERFACES: 'eth1', DENYLIST_FILE: 'other.denylist' } },
      });
      assert.equal(res.statusCode, 200, res.body);
    } finally {
      await h.close();
    }
  });
});
