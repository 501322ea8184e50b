/**
 * Issue 10 item 5, the daemon's side of the web UI: the first-start password goes to a
 * root-only file in STATE_DIR (the log says where, never what), a listener beyond
 * loopback without TLS is warned about loudly, WEB_TLS_CERT/KEY make it HTTPS.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { parseConfig } from '../core/config/parse.js';
import { GENERATED_KEY, PASSWORD_KEY, setAdminPassword, verifyPassword } from '../platform/admin-password.js';
import { type Logger, silentLogger } from '../ports/logger.js';
import { FakeStore } from '../store/store.fake.js';
import { ensureAdminPassword, hostPolicy, INITIAL_PASSWORD_FILE, warnIfExposed } from './web.js';

const dir = mkdtempSync(join(tmpdir(), 'sipprot-web-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function recorder() {
  const lines: Array<{ obj: object; msg: string }> = [];
  const log: Logger = {
    ...silentLogger,
    warn: (obj: object, msg?: string) => void lines.push({ obj, msg: msg ?? '' }),
    info: (obj: object, msg?: string) => void lines.push({ obj, msg: msg ?? '' }),
  };
  return { lines, log };
}

describe('first-start admin password', () => {
  test('written to a root-only file in STATE_DIR; the log says where, never the password', async () => {
    const store = new FakeStore();
    const { lines, log } = recorder();
    const pw = await ensureAdminPassword(store, log, dir);
    assert.ok(pw);
    const file = join(dir, INITIAL_PASSWORD_FILE);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(readFileSync(file, 'utf8').split('\n')[0], pw);
    const stored = (await store.getSetting(PASSWORD_KEY))!;
    assert.ok(!stored.includes(pw));
    assert.equal(await verifyPassword(pw, stored), true);
    assert.equal(await store.getSetting(GENERATED_KEY), '1');
    assert.equal(lines.length, 1);
    assert.doesNotMatch(JSON.stringify(lines), new RegExp(pw), 'the password never reaches the log');
    assert.match(
      lines[0]!.msg,
      new RegExp(`one-time password is in ${file.replace(/[/.]/g, '\\$&')} \\(root only\\)`),
    );
    // Next start: nothing new; the file stays while the generated password is in use.
    assert.equal(await ensureAdminPassword(store, log, dir), null);
    assert.equal(existsSync(file), true);
    // Once the admin chose a password, the file goes at the next start.
    await setAdminPassword(store, 'chosen by the admin');
    assert.equal(await ensureAdminPassword(store, log, dir), null);
    assert.equal(existsSync(file), false);
  });
});

describe('web listener', () => {
  const cfg = (text: string) => parseConfig(text, { source: join(dir, 'sipprot.conf') });

  test('beyond loopback without TLS: a loud warning; loopback or TLS: none', () => {
    const { lines, log } = recorder();
    assert.equal(warnIfExposed(cfg('WEB_LISTEN=0.0.0.0:8040\n'), log), true);
    assert.match(
      lines[0]!.msg,
      /^SECURITY: the web UI listens on 0\.0\.0\.0:8040, beyond loopback, over plain HTTP/,
    );
    assert.match(lines[0]!.msg, /WEB_TLS_CERT and WEB_TLS_KEY/);
    assert.equal(warnIfExposed(cfg('WEB_LISTEN=127.0.0.1:8040\n'), log), false);
    assert.equal(warnIfExposed(cfg('WEB_LISTEN=[::1]:8040\n'), log), false);
    assert.equal(
      warnIfExposed(cfg('WEB_LISTEN=192.0.2.2:8040\nWEB_TLS_CERT=c.pem\nWEB_TLS_KEY=k.pem\n'), log),
      false,
    );
    assert.equal(lines.length, 1);
  });

  test('TLS needs both files; the Host policy follows WEB_LISTEN and WEB_HOSTNAMES', () => {
    assert.throws(() => cfg('WEB_TLS_CERT=c.pem\n'), /needs both WEB_TLS_CERT and WEB_TLS_KEY/);
    const p = hostPolicy(cfg('WEB_LISTEN=192.0.2.2:8040\nWEB_HOSTNAMES=PBX.example.com,[2001:db8::5]\n'));
    assert.equal(p.listenHost, '192.0.2.2');
    assert.deepEqual(p.names, ['pbx.example.com', '2001:db8::5']);
  });
});
