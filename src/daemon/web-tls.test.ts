/**
 * Issue 10 item 5: WEB_TLS_CERT and WEB_TLS_KEY make the web UI speak HTTPS (the real
 * daemon, a self-signed certificate made here with openssl), cookies are Secure there,
 * and plain HTTP on that port gets nothing.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { get, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { loadConfig } from '../config/load.js';
import { FakeFirewall } from '../firewall/firewall.fake.js';
import { setAdminPassword } from '../platform/admin-password.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { Daemon } from './daemon.js';

const PORT = 21_000 + (process.pid % 10_000);
const PASSWORD = 'tls test password';

describe('web UI over HTTPS (WEB_TLS_CERT, WEB_TLS_KEY)', () => {
  let dir: string;
  let daemon: Daemon;
  let ca: Buffer;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sipprot-tls-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    ca = readFileSync(join(dir, 'cert.pem'));
    const conf = join(dir, 'sipprot.conf');
    writeFileSync(
      conf,
      `STATE_DIR=${dir}/state\nWEB_LISTEN=127.0.0.1:${PORT}\nWEB_TLS_CERT=cert.pem\nWEB_TLS_KEY=key.pem\n`,
      { mode: 0o600 },
    );
    const config = loadConfig({ path: conf });
    const store = await SqliteStore.open(config.stateDir);
    await setAdminPassword(store, PASSWORD);
    await store.close();
    daemon = await Daemon.start(config, {
      firewall: new FakeFirewall(),
      capture: false,
      logger: pino({ level: 'silent' }),
      configPath: conf,
    });
  });
  after(async () => {
    await daemon?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers HTTPS with the configured certificate; login sets Secure cookies', async () => {
    const health = await new Promise<string>((resolve, reject) =>
      get({ host: '127.0.0.1', port: PORT, path: '/api/health', ca }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve(body));
      }).on('error', reject),
    );
    assert.match(health, /"ok":true/);
    const cookies = await new Promise<string[]>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: PORT,
          path: '/api/login',
          method: 'POST',
          ca,
          headers: { 'content-type': 'application/json' },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.headers['set-cookie'] ?? []));
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify({ password: PASSWORD }));
    });
    assert.equal(cookies.length, 3, 'session, CSRF and known-browser cookies');
    for (const c of cookies) assert.match(c, /; Secure/);
  });

  it('plain HTTP on the port gets no API', async () => {
    const r = await new Promise<string>((resolve) =>
      httpGet({ host: '127.0.0.1', port: PORT, path: '/api/health' }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve(`${res.statusCode} ${body}`));
      }).on('error', (e) => resolve(`error ${e.message}`)),
    );
    assert.doesNotMatch(r, /"ok":true/);
  });
});
