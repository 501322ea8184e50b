import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseConfig } from '../core/config/parse.js';
import { startBanner, webUrl } from './banner.js';

describe('sipprotd start: where logs, UI and password are', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sipprot-banner-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const conf = (extra = '') =>
    parseConfig(`STATE_DIR=${dir}\n${extra}`, { source: join(dir, 'sipprot.conf') });

  it('loopback UI: the URL, the SSH tunnel, the one-time password file when there is one', () => {
    const log = join(dir, 'sipprotd.log');
    let text = startBanner(conf(), log);
    assert.match(text, new RegExp(`logs: {5}${log} \\(readable lines; LOG_FORMAT=json for log shippers\\)`));
    assert.match(
      text,
      /web UI: {3}http:\/\/127\.0\.0\.1:8040\/ \(this host only: from your desk, ssh -L 8040:127\.0\.0\.1:8040 root@THIS-HOST/,
    );
    assert.match(text, /password: the one you set/);
    writeFileSync(join(dir, 'initial-admin-password'), 'x\n');
    text = startBanner(conf(), log);
    assert.match(
      text,
      new RegExp(`password: the one-time password is in ${dir}/initial-admin-password \\(root only\\)`),
    );
    assert.ok(!text.includes('x\n  '), 'never the password itself');
  });

  it('UI off; a wildcard listener; metrics; JSON logs', () => {
    assert.match(startBanner(conf('WEB_LISTEN=off'), 'L'), /web UI: {3}off \(WEB_LISTEN=off\)/);
    assert.equal(webUrl(conf('WEB_LISTEN=0.0.0.0:8443')), 'http://THIS-HOST:8443/');
    const m = startBanner(conf('METRICS_LISTEN=[::1]:9560\nLOG_FORMAT=json'), 'L');
    assert.match(m, /metrics: {2}http:\/\/\[::1\]:9560\/metrics/);
    assert.match(m, /\(JSON lines\)/);
  });
});
