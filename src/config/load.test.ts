import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseConfig } from '../core/config/parse.js';
import {
  LEGACY_CONFIG,
  loadConfig,
  loadConfigDetailed,
  resolveConfigPath,
  SYSTEM_CONFIG,
  saveConfig,
} from './load.js';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'sipprot-conf-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const none = () => false;
const only =
  (...paths: string[]) =>
  (p: string) =>
    paths.includes(p);

describe('resolveConfigPath', () => {
  const cases: Array<[string, Parameters<typeof resolveConfigPath>[0], string | null]> = [
    [
      '--config wins over everything',
      { flag: '/x/a.conf', env: { SIPPROT_CONFIG: '/y/b.conf' }, exists: () => true },
      '/x/a.conf',
    ],
    ['path is an alias of flag', { path: '/x/a.conf', env: {}, exists: none }, '/x/a.conf'],
    ['SIPPROT_CONFIG next', { env: { SIPPROT_CONFIG: '/y/b.conf' }, exists: () => true }, '/y/b.conf'],
    [
      'then /etc/sipprot/sipprot.conf',
      { env: {}, exists: only(SYSTEM_CONFIG, LEGACY_CONFIG) },
      SYSTEM_CONFIG,
    ],
    ['then /home/sipprot.conf', { env: {}, exists: only(LEGACY_CONFIG) }, LEGACY_CONFIG],
    ['then the embedded defaults', { env: {}, exists: none }, null],
    [
      'empty flag and env are ignored',
      { flag: '', env: { SIPPROT_CONFIG: '' }, exists: only(LEGACY_CONFIG) },
      LEGACY_CONFIG,
    ],
    [
      'an explicit path is returned even if missing',
      { flag: '/nope.conf', env: {}, exists: none },
      '/nope.conf',
    ],
  ];
  for (const [name, opts, want] of cases) {
    it(name, () => assert.equal(resolveConfigPath(opts), want));
  }

  it('makes a relative --config absolute', () => {
    assert.equal(resolveConfigPath({ flag: 'etc/s.conf', env: {} }), join(process.cwd(), 'etc/s.conf'));
  });
});

describe('loadConfig', () => {
  it('reads the file, puts the lists beside it and reports warnings', () => {
    const path = join(dir, 'sipprot.conf');
    writeFileSync(path, 'block_time=900\nhit_count=4\nMYSTERY=1\n');
    const seen: string[] = [];
    const r = loadConfigDetailed({ flag: path, env: {}, onWarning: (w) => seen.push(w.key) });
    assert.equal(r.path, path);
    assert.equal(r.from, 'flag');
    assert.equal(r.config.blockTime, 900);
    assert.equal(r.config.hitCount, 4);
    assert.equal(r.config.source, path);
    assert.equal(r.config.allowlistFile, join(dir, 'sipprot.allowlist'));
    assert.deepEqual(seen, ['MYSTERY']);
  });

  it('without any file gives the embedded defaults with lists in /etc/sipprot', () => {
    const r = loadConfigDetailed({ env: {}, exists: none });
    assert.equal(r.path, null);
    assert.equal(r.from, 'defaults');
    assert.equal(r.config.source, null);
    assert.equal(r.config.denylistFile, '/etc/sipprot/sipprot.denylist');
  });

  it('a missing explicit file is SP_ERR_CONFIG_NOT_FOUND naming it and where it came from', () => {
    const missing = join(dir, 'missing.conf');
    assert.throws(() => loadConfig({ flag: missing, env: {} }), {
      code: 'SP_ERR_CONFIG_NOT_FOUND',
      message: `config file ${missing} (given with --config) does not exist`,
    });
    assert.throws(() => loadConfig({ env: { SIPPROT_CONFIG: missing } }), {
      code: 'SP_ERR_CONFIG_NOT_FOUND',
      message: /from SIPPROT_CONFIG/,
    });
    assert.throws(() => loadConfig({ flag: dir, env: {} }), {
      code: 'SP_ERR_CONFIG_NOT_FOUND',
      message: /directory/,
    });
  });

  it('an unreadable file is SP_ERR_PERMISSION', () => {
    const path = join(dir, 'secret.conf');
    writeFileSync(path, '');
    assert.throws(
      () =>
        loadConfig({
          flag: path,
          env: {},
          readFile: () => {
            throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
          },
        }),
      { code: 'SP_ERR_PERMISSION', message: /secret\.conf/ },
    );
  });

  it('an invalid file throws SP_ERR_CONFIG_INVALID naming the file and every problem', () => {
    const path = join(dir, 'bad.conf');
    writeFileSync(path, 'BLOCK_THRESHOLD=25\nSMTP_TLS=ssl\n');
    assert.throws(
      () => loadConfig({ flag: path, env: {} }),
      (e: Error & { code?: string }) => {
        assert.equal(e.code, 'SP_ERR_CONFIG_INVALID');
        assert.ok(e.message.startsWith(`${path}: 2 invalid settings`));
        assert.match(e.message, /line 1: BLOCK_THRESHOLD=25: must be an integer 0-20/);
        assert.match(e.message, /line 2: SMTP_TLS=ssl: must be none, starttls or tls/);
        return true;
      },
    );
  });
});

describe('saveConfig', () => {
  it('writes a canonical file (0600 when new) that loads back to the same config', async () => {
    const sub = join(dir, 'save');
    mkdirSync(sub);
    const path = join(sub, 'sipprot.conf');
    const cfg = parseConfig('HIT_COUNT=7\nSMTP_PASSWORD=s3cr#t\nBLOCKED_COUNTRIES=RU', { source: path });
    await saveConfig(path, cfg);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.deepEqual(loadConfig({ flag: path, env: {} }), cfg);
    chmodSync(path, 0o640);
    await saveConfig(path, { ...cfg, hitCount: 8 });
    assert.equal(statSync(path).mode & 0o777, 0o640);
    assert.match(readFileSync(path, 'utf8'), /^HIT_COUNT=8$/m);
  });

  it('a failed write reports a config error (SP_ERR_CONFIG_IO), not a list one, and keeps the old file', async () => {
    const sub = join(dir, 'save-fail');
    mkdirSync(sub);
    // A directory where the file should be: the rename over it fails.
    const path = join(sub, 'sipprot.conf');
    mkdirSync(path);
    writeFileSync(join(path, 'inner'), 'x');
    const cfg = parseConfig('HIT_COUNT=7', { source: path });
    await assert.rejects(saveConfig(path, cfg), (e: Error & { code?: string; cause?: unknown }) => {
      assert.equal(e.code, 'SP_ERR_CONFIG_IO');
      assert.match(e.message, /cannot write .*sipprot\.conf/);
      assert.ok(e.cause instanceof Error, 'the errno error is kept as cause');
      return true;
    });
    assert.equal(readFileSync(join(path, 'inner'), 'utf8'), 'x');
  });
});
