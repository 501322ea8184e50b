import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseConfig } from '../core/config/parse.js';
import { geoipCommands } from './geoip-command.js';
import { runCli } from './program.js';

describe('sipprot geoip', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sipprot-geoip-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const config = parseConfig(`STATE_DIR=${dir}/state\n`, { source: join(dir, 'sipprot.conf') });
  const run = async (...argv: string[]) => {
    let out = '';
    let err = '';
    const code = await runCli(argv, {
      io: { out: (s) => (out += s), err: (s) => (err += s) },
      admin: async () => {
        throw new Error('not used');
      },
      extensions: [geoipCommands({ config: () => config })],
    });
    return { code, out, err };
  };

  it('status names the shipped database; lookup gives a country', async () => {
    const s = await run('geoip', 'status');
    assert.equal(s.code, 0);
    assert.match(s.out, /IPFire Location Database.*IPv4.*IPv6 ranges \(shipped/);
    const l = await run('geoip', 'lookup', '8.8.8.8');
    assert.equal(l.out, '8.8.8.8: US\n');
  });

  it('a collapsed update is refused with the reason, and the shipped data stays', async () => {
    const csv = join(dir, 'tiny.csv');
    writeFileSync(csv, '1.0.0.0,1.0.0.255,AU\n8.8.8.0,8.8.8.255,US\n');
    const r = await run('geoip', 'update', '--from', csv);
    assert.equal(r.code, 1);
    assert.match(r.err, /error: .*(ranges|rows)/i);
    assert.equal(existsSync(join(dir, 'state', 'geoip', 'current.bin.gz')), false);
    assert.match((await run('geoip', 'status')).out, /shipped/);
  });

  it('update without a source is a usage error', async () => {
    const r = await run('geoip', 'update');
    assert.equal(r.code, 2);
    assert.match(r.err, /GEOIP_UPDATE_URL/);
  });
});
