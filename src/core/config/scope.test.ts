import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CONFIG_KEYS } from './keys.js';
import { fleetWideKeys, isFleetWide } from './scope.js';

describe('cluster scope of settings', () => {
  it('where a host listens, captures and keeps its files stays per host; the rest is fleet-wide', () => {
    for (const k of [
      'INTERFACES',
      'PROTOCOLS',
      'SIP_PORTS',
      'STATE_DIR',
      'WEB_LISTEN',
      'HEP_LISTEN',
      'CLUSTER_REDIS_URL',
      'CLUSTER_HOST_ID',
      'ALLOWLIST_FILE',
      'DENYLIST_FILE',
    ])
      assert.equal(isFleetWide(k), false, k);
    for (const k of [
      'HIT_COUNT',
      'hit_count',
      'BLOCKTIME',
      'BLOCK_THRESHOLD',
      'SCANNERS',
      'BLOCKED_COUNTRIES',
      'SMTP_HOST',
      'NOTIFY_DAILY',
      'GEOIP_UPDATE_URL',
    ])
      assert.equal(isFleetWide(k), true, k);
    assert.equal(isFleetWide('NO_SUCH_KEY'), false);
  });

  it('every host-only key is per host', () => {
    const fleet = new Set(fleetWideKeys());
    for (const k of CONFIG_KEYS) if (k.hostOnly) assert.equal(fleet.has(k.key), false, k.key);
  });
});
