/**
 * `npm pack` and `npm install -g` for real: the tarball from this checkout (prepack
 * builds it and ships npm-shrinkwrap.json) installed globally into a temporary prefix,
 * with dependencies from the registry resolved afresh (npm ignores a local tarball's
 * shrinkwrap), --engine-strict on this Node 20, and better-sqlite3 and pcap compiled by
 * their install scripts (~1 min). Then both commands run from the prefix's bin/, the
 * store opens (better-sqlite3) and the capture addon loads (pcap).
 * Runs in .ci/run after npm test (it needs the registry and ~1.5 min).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
let work: string;
let prefix: string;
let app: string;

function exec(
  file: string,
  args: string[],
  opts: { cwd?: string; timeoutMs?: number } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { cwd: opts.cwd ?? REPO, timeout: opts.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'sipprot-npm-test-'));
  prefix = join(work, 'prefix');
  const t0 = Date.now();
  const pack = await exec('npm', ['pack', '--pack-destination', work], { timeoutMs: 300_000 });
  assert.equal(pack.code, 0, pack.stderr);
  const tgz = readdirSync(work).find((f) => /^sipprot-.*\.tgz$/.test(f));
  assert.ok(tgz, `npm pack made no tarball: ${pack.stdout}`);
  const t1 = Date.now();
  const install = await exec(
    'npm',
    [
      'install',
      '-g',
      '--prefix',
      prefix,
      '--engine-strict',
      '--allow-scripts=better-sqlite3,pcap',
      '--no-audit',
      '--no-fund',
      join(work, tgz),
    ],
    { cwd: work, timeoutMs: 600_000 },
  );
  assert.equal(install.code, 0, `${install.stdout}${install.stderr}`);
  console.log(`npm pack ${(t1 - t0) / 1000}s, npm install -g ${(Date.now() - t1) / 1000}s`);
  app = join(prefix, 'lib/node_modules/sipprot');
});

after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

test('the tarball carries the build and the shrinkwrap, and no source or test file', () => {
  for (const f of [
    'dist/cli/sipprot.js',
    'web/dist/index.html',
    'data/geoip/geoip.bin.gz',
    'npm-shrinkwrap.json',
  ])
    assert.ok(existsSync(join(app, f)), f);
  for (const f of ['src', 'test', 'testdata', 'bench', 'tsconfig.json'])
    assert.ok(!existsSync(join(app, f)), f);
  assert.ok(
    !existsSync(join(REPO, 'npm-shrinkwrap.json')),
    'postpack left npm-shrinkwrap.json in the checkout',
  );
});

test('sipprot --help and sipprotd --help run from the global bin/', async () => {
  const cli = await exec(join(prefix, 'bin/sipprot'), ['--help']);
  assert.equal(cli.code, 0, cli.stderr);
  assert.match(cli.stdout, /^Usage: sipprot \[options\] \[command\]/);
  const daemon = await exec(join(prefix, 'bin/sipprotd'), ['--help']);
  assert.equal(daemon.code, 0, daemon.stderr);
  assert.match(daemon.stdout, /^Usage: sipprotd \[options\] \[command\]/);
  const version = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).version as string;
  assert.match(
    (await exec(join(prefix, 'bin/sipprot'), ['version'])).stdout,
    new RegExp(version.replace(/\./g, '\\.')),
  );
});

test('the native modules were built on install and load: the store opens, the capture addon loads', async () => {
  const state = join(work, 'state');
  const conf = join(work, 'sipprot.conf');
  writeFileSync(conf, `STATE_DIR=${state}\nWEB_LISTEN=off\n`);
  const status = await exec(join(prefix, 'bin/sipprot'), ['--config', conf, 'status']);
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /\| Allow +\| 0 +\|/);
  assert.match(status.stdout, /^daemon: not running$/m);
  // A read-only command leaves STATE_DIR alone; the daemon's store (better-sqlite3) opens,
  // creates and migrates the database from the installed package's own code.
  assert.ok(!existsSync(join(state, 'sipprot.db')), 'status created no state');
  const store = await exec(process.execPath, [
    '--input-type=module',
    '-e',
    'const { SqliteStore } = await import(process.argv[1]); SqliteStore.open(process.argv[2]).close(); console.log("opened")',
    join(app, 'dist/store/sqlite-store.js'),
    state,
  ]);
  assert.equal(store.code, 0, store.stderr);
  assert.ok(existsSync(join(state, 'sipprot.db')), 'the store was created by better-sqlite3');
  const again = await exec(join(prefix, 'bin/sipprot'), ['--config', conf, 'status']);
  assert.equal(again.code, 0, again.stderr);
  assert.doesNotMatch(again.stderr, /no state database yet/);
  const pcap = await exec(process.execPath, [
    '-e',
    "const p = require(process.argv[1]); console.log(typeof p.createSession, p.lib_version ?? '')",
    join(app, 'node_modules/pcap'),
  ]);
  assert.equal(pcap.code, 0, pcap.stderr);
  assert.match(pcap.stdout, /^function/);
  // sipprot's own addon: the batched capture thread and the netlink set writer.
  const native = await exec(process.execPath, [
    '-e',
    'const n = require(process.argv[1]); console.log(typeof n.captureOpen, typeof n.nftApply)',
    join(app, 'node_modules/sipprot-native'),
  ]);
  assert.equal(native.code, 0, native.stderr);
  assert.equal(native.stdout.trim(), 'function function');
});
