/**
 * Issue 10 item 15: unknown and repeated config keys are reported where the admin looks —
 * a log line at start and at every reload naming the line, the key and a "did you mean",
 * and the answer of `sipprotd reload` — and a config that became world-writable is refused
 * at reload (the running one stays). The loader always found them; the daemon dropped them.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { HttpAdmin } from '../admin/http-admin.js';
import { loadConfigDetailed } from '../config/load.js';
import { FakeFirewall } from '../firewall/firewall.fake.js';
import { runtimePaths } from '../platform/runtime-paths.js';
import { Daemon } from './daemon.js';

describe('daemon: config problems are reported at start and reload', () => {
  let dir: string;
  let conf: string;
  let daemon: Daemon;
  let admin: HttpAdmin;
  const lines: Array<Record<string, unknown>> = [];

  const write = (text: string) => writeFileSync(conf, text, { mode: 0o600 });
  const warnings = () => lines.filter((l) => l.level === 40 && String(l.msg).startsWith('config: '));

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sipprot-confrep-'));
    conf = join(dir, 'sipprot.conf');
    write(`STATE_DIR=${dir}/state\nWEB_LISTEN=off\nHITCOUNT=3\nBLOCKTIME=60\nBLOCKTIME=90\n`);
    const sink = new Writable({
      write(chunk, _enc, done) {
        for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l));
        done();
      },
    });
    const loaded = loadConfigDetailed({ path: conf });
    daemon = await Daemon.start(loaded.config, {
      firewall: new FakeFirewall(),
      capture: false,
      logger: pino({ level: 'info' }, sink),
      configPath: conf,
      configWarnings: loaded.warnings,
    });
    admin = new HttpAdmin(runtimePaths(loaded.config).socket);
  });
  after(async () => {
    await daemon?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('at start: one warning line per problem, naming line, key and a suggestion', () => {
    const w = warnings();
    assert.equal(w.length, 2, JSON.stringify(w));
    assert.equal(w[0]!.line, 3);
    assert.equal(w[0]!.key, 'HITCOUNT');
    assert.match(String(w[0]!.msg), /HITCOUNT \(line 3\): unknown key, ignored; did you mean HIT_COUNT\?/);
    assert.equal(w[1]!.line, 5);
    assert.match(String(w[1]!.msg), /sets BLOCKTIME again: the value on line 4 is ignored/);
    assert.equal(daemon.config.blockTime, 90);
  });

  it('at reload: logged again and said in the answer to `sipprotd reload`', async () => {
    write(`STATE_DIR=${dir}/state\nWEB_LISTEN=off\nHIT_COUNT=3\nBLOK_TIME=60\n`);
    lines.length = 0;
    const r = await admin.call<{ reloaded: boolean; message: string }>('POST', '/api/reload');
    assert.equal(r.reloaded, true);
    assert.match(
      r.message,
      /warning: .*sipprot\.conf: BLOK_TIME \(line 4\): unknown key, ignored; did you mean BLOCKTIME\?/,
    );
    const w = warnings();
    assert.equal(w.length, 1);
    assert.equal(w[0]!.when, 'reload');
    assert.equal(daemon.config.hitCount, 3);
  });

  it('a config that became world-writable is refused at reload; the running one stays', async () => {
    write(`STATE_DIR=${dir}/state\nWEB_LISTEN=off\nHIT_COUNT=7\n`);
    chmodSync(conf, 0o666);
    const r = await admin.call<{ reloaded: boolean; message: string }>('POST', '/api/reload');
    assert.equal(r.reloaded, false);
    assert.match(r.message, /refusing to trust the config file: .* is writable by every user .*chmod o-w/);
    assert.equal(daemon.config.hitCount, 3);
  });
});
