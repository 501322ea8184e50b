/**
 * The .deb, installed for real: packaging/build-deb.sh builds it (~1.5 min, native
 * modules compiled), then it goes into clean Debian 12 roots (root.testkit.ts: the cached
 * debootstrap root under an overlay, in network namespaces without any route out):
 * - under systemd, booted in systemd-nspawn: `apt install` pulls libpcap0.8 and nftables,
 *   postinst enables and starts the real unit with its sandbox; a scanner packet from a
 *   second namespace is blocked; reload, upgrade (config, lists and blocks kept), remove
 *   (no nft rule left, config kept), purge (state gone);
 * - a sipPROT host with /home/sipprot.conf, under systemd: that file stays the config and
 *   the sandboxed daemon can rewrite the lists beside it (and cannot without the drop-in);
 * - without systemd (chroot): the init script path, `sipprotd start|stop` by hand.
 * The kernel is judged with the host's own nft inside the namespace.
 * Runs in .ci/run after npm test (~4 min on 2 cores, ~6 min with an empty cache), not in
 * npm test. SIPPROT_TEST_DEB=path uses a .deb built before instead of building one.
 */
import assert from 'node:assert/strict';
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { createPair, type Link, Netns, removeStaleNamespaces, run } from '../../test/netns.testkit.js';
import { baseRoot, removeStaleLayers, TestRoot } from './root.testkit.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const CONF = '/etc/sipprot/sipprot.conf';
const DENIED = '198.51.100.0/24';
const ALLOWED = '192.0.2.7';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let work: string;
let deb: string;
let upgradeDeb: string;
let base: string;
let version: string;

before(async () => {
  await removeStaleLayers();
  await removeStaleNamespaces();
  work = mkdtempSync(join(tmpdir(), 'sipprot-deb-test-'));
  const t0 = Date.now();
  base = await baseRoot();
  const t1 = Date.now();
  if (process.env.SIPPROT_TEST_DEB) deb = process.env.SIPPROT_TEST_DEB;
  else {
    await run(['bash', join(REPO, 'packaging/build-deb.sh'), work], { timeoutMs: 15 * 60_000 });
    deb = join(work, basename((await run(['sh', '-c', 'ls "$0"/sipprot_*.deb', work])).stdout.trim()));
  }
  const t2 = Date.now();
  version = (await run(['dpkg-deb', '-f', deb, 'Version'])).stdout.trim();
  upgradeDeb = await bumped(deb, `${version}+upgrade1`);
  console.log(
    `base root ${(t1 - t0) / 1000}s, .deb ${(t2 - t1) / 1000}s, upgrade .deb ${(Date.now() - t2) / 1000}s`,
  );
});

after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** The same package with another version, as an upgrade. */
async function bumped(from: string, newVersion: string): Promise<string> {
  const dir = join(work, 'bumped');
  await run(['dpkg-deb', '-R', from, dir]);
  const control = join(dir, 'DEBIAN/control');
  writeFileSync(control, readFileSync(control, 'utf8').replace(/^Version: .*$/m, `Version: ${newVersion}`));
  const out = join(work, `sipprot_${newVersion}_amd64.deb`);
  await run(['dpkg-deb', '--root-owner-group', '-Zgzip', '-z1', '-b', dir, out]);
  rmSync(dir, { recursive: true, force: true });
  return out;
}

/** A dpkg-query -W format option for one field. */
function query(field: string): string {
  return '-f=$' + '{' + field + '}';
}

function put(root: TestRoot, file: string): string {
  const inside = `/srv/${basename(file)}`;
  copyFileSync(file, root.path(inside));
  return inside;
}

async function ok(root: TestRoot, argv: string[]): Promise<string> {
  const r = await root.exec(argv, { allowFail: true });
  assert.equal(r.code, 0, `${argv.join(' ')}: ${r.stdout}${r.stderr}`);
  return r.stdout;
}

/** The ruleset of a namespace, as the host's nft sees it ('' when sipprot left nothing). */
async function ruleset(ns: Netns): Promise<string> {
  return (await ns.exec(['nft', 'list', 'ruleset'])).stdout.trim();
}

async function dynamicBlocks(
  root: TestRoot,
): Promise<Array<{ ip: string; reason: string; userAgent: string }>> {
  return JSON.parse(await ok(root, ['sipprot', 'status', '--dynamic', '--json'])).dynamic;
}

async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  ms = 15_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

/** Three OPTIONS with SIPVicious' User-Agent from the attacker namespace to the PBX. */
async function scan(from: Netns, link: Link): Promise<void> {
  const msg = [
    `OPTIONS sip:100@${link.a4} SIP/2.0`,
    `Via: SIP/2.0/UDP ${link.b4}:5070;branch=z9hG4bK-pkgtest`,
    `From: <sip:scan@${link.b4}>;tag=pkgtest`,
    `To: <sip:100@${link.a4}>`,
    'Call-ID: pkg-scan@sipprot.test',
    'CSeq: 1 OPTIONS',
    'Max-Forwards: 70',
    'User-Agent: friendly-scanner',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  const src = `const s = require('node:dgram').createSocket('udp4');
let n = 0;
const send = () => s.send(process.argv[1], 5060, process.argv[2], () => { if (++n < 3) setTimeout(send, 200); else s.close(); });
send();`;
  const r = await from.exec([process.execPath, '-e', src, msg, link.a4]);
  assert.equal(r.code, 0, r.stderr);
}

/** Waits until the daemon answers on its socket (a unit is "active" before that). */
async function answering(root: TestRoot): Promise<void> {
  await waitFor('sipprotd to answer', async () => {
    const r = await root.exec(['sipprotd', 'status', '--json'], { allowFail: true });
    return r.code === 0 && JSON.parse(r.stdout).answering === true;
  });
}

async function mainPid(root: TestRoot): Promise<number> {
  return Number((await ok(root, ['systemctl', 'show', '-p', 'MainPID', '--value', 'sipprotd'])).trim());
}

test('lintian finds no error and no warning (overrides are justified in packaging/debian)', async (t) => {
  // lintian leaves its ELF cache (mldbm-elf-*: Lintian::Storage::MLDBM makes it with
  // UNLINK => 0) in TMPDIR: it gets a dir of its own, removed after.
  const scratch = mkdtempSync(join(tmpdir(), 'sipprot-lintian-'));
  t.after(() => rmSync(scratch, { recursive: true, force: true }));
  const r = await run(['env', `TMPDIR=${scratch}`, 'lintian', '--tag-display-limit', '0', deb], {
    allowFail: true,
    timeoutMs: 300_000,
  });
  const tags = `${r.stdout}${r.stderr}`.split('\n').filter((l) => /^[EW]: /.test(l));
  assert.deepEqual(tags, []);
});

describe('under systemd: apt install, block, reload, upgrade, remove, purge', () => {
  let root: TestRoot;
  let link: Link;
  let attacker: Netns;

  before(async () => {
    const pair = await createPair('pkg');
    attacker = pair.b;
    link = pair.link;
    root = await TestRoot.create(base, pair.a);
    await root.boot();
  });
  after(async () => {
    await root?.destroy();
    await attacker?.destroy();
  });

  test('apt install: dependencies from the archive, unit enabled and running, files in place', async () => {
    const t0 = Date.now();
    const out = await ok(root, ['apt', 'install', '-y', '--no-install-recommends', put(root, deb)]);
    console.log(`apt install under systemd: ${(Date.now() - t0) / 1000}s`);
    assert.match(out, /Setting up libpcap0\.8/);
    assert.match(out, /Setting up nftables/);
    assert.match(out, /sipprotd: {2}running/);
    assert.match(out, /web UI: {4}http:\/\/127\.0\.0\.1:8040\//);
    assert.match(out, /cat \/var\/lib\/sipprot\/initial-admin-password/);
    assert.equal((await ok(root, ['systemctl', 'is-enabled', 'sipprotd'])).trim(), 'enabled');
    assert.equal((await ok(root, ['systemctl', 'is-active', 'sipprotd'])).trim(), 'active');
    const journal = await waitFor('the start and the one-time password in the journal', async () => {
      const j = await ok(root, ['journalctl', '-u', 'sipprotd', '--no-pager', '-o', 'cat']);
      return /sipprotd started/.test(j) && j;
    });
    assert.match(
      journal,
      /one-time password is in \/var\/lib\/sipprot\/initial-admin-password \(root only\)/,
    );
    // Readable lines with syslog priorities (LOG_FORMAT=text under journald): -p warning
    // keeps the password warning and drops the info lines.
    assert.doesNotMatch(journal, /^\{"level"/m);
    const warnings = await ok(root, [
      'journalctl',
      '-u',
      'sipprotd',
      '-p',
      'warning',
      '--no-pager',
      '-o',
      'cat',
    ]);
    assert.match(warnings, /one-time password is in/);
    assert.doesNotMatch(warnings, /sipprotd started/);
    assert.match(readFileSync(root.path('/var/lib/sipprot/initial-admin-password'), 'utf8'), /^\S{20}\n/);
    assert.match(await ruleset(root.ns), /table inet sipprot/);

    const mode = (p: string) => (statSync(root.path(p)).mode & 0o7777).toString(8);
    for (const p of [
      '/usr/lib/sipprot/dist/cli/sipprot.js',
      '/usr/lib/sipprot/web/dist/index.html',
      '/usr/lib/sipprot/data/geoip/geoip.bin.gz',
      '/usr/lib/sipprot/node_modules/better-sqlite3/build/Release/better_sqlite3.node',
      '/usr/lib/sipprot/node_modules/pcap/build/Release/pcap_binding.node',
      '/lib/systemd/system/sipprotd.service',
      '/usr/share/doc/sipprot/copyright',
      '/usr/share/doc/sipprot/INSTALL.md',
    ])
      assert.ok(existsSync(root.path(p)), p);
    assert.equal(mode('/usr/bin/sipprot'), '755');
    assert.equal(mode('/usr/bin/sipprotd'), '755');
    assert.equal(mode('/etc/init.d/sipprotd'), '755');
    assert.equal(mode(CONF), '600');
    assert.equal(mode('/var/lib/sipprot'), '700');
    for (const dev of ['typescript', 'tsx', 'vite', 'smtp-server', '@biomejs', 'playwright-core', 'preact'])
      assert.ok(
        !existsSync(root.path(`/usr/lib/sipprot/node_modules/${dev}`)),
        `devDependency ${dev} shipped`,
      );
    const files = await ok(root, ['dpkg', '-L', 'sipprot']);
    assert.deepEqual(
      files.split('\n').filter((f) => /\.(test|testkit|contract|fake)\.js$|\/src\/.*\.ts$/.test(f)),
      [],
    );
    const conffiles = await ok(root, ['dpkg-query', '-W', query('Conffiles'), 'sipprot']);
    assert.match(conffiles, /^ \/etc\/sipprot\/sipprot\.conf [0-9a-f]{32}$/m);
    assert.match(conffiles, /^ \/etc\/init\.d\/sipprotd [0-9a-f]{32}$/m);
  });

  test('the commands: --help, status, man pages and bash completion for both', async () => {
    assert.match(await ok(root, ['sipprot', '--help']), /Usage: sipprot/);
    assert.match(await ok(root, ['sipprotd', '--help']), /Usage: sipprotd/);
    assert.match(
      await ok(root, ['sipprot', 'version']),
      new RegExp(version.split('-')[0]!.replace(/\./g, '\\.')),
    );
    assert.match(await ok(root, ['sipprot', 'status']), /daemon: running \(pid \d+\)/);
    for (const [cmd, title] of [
      ['sipprot', 'SIPPROT'],
      ['sipprotd', 'SIPPROTD'],
    ] as const) {
      const man = gunzipSync(readFileSync(root.path(`/usr/share/man/man8/${cmd}.8.gz`))).toString();
      assert.match(man, new RegExp(`^\\.TH ${title} 8 `, 'm'));
    }
    const complete = async (words: string) => {
      const script = `source /usr/share/bash-completion/completions/$0; COMP_WORDS=($1); COMP_CWORD=$(( \${#COMP_WORDS[@]} - 1 )); _$0_complete; echo "\${COMPREPLY[*]}"`;
      const [cmd] = words.split(' ');
      return (await ok(root, ['bash', '-c', script, cmd!, words])).trim();
    };
    assert.equal(await complete('sipprotd st'), 'start stop status');
    assert.equal(await complete('sipprot al'), 'allow alerts');
    assert.equal(await complete('sipprot alerts a'), 'ack');
    assert.equal(await complete('sipprot allow re'), 'remove');
  });

  test('lists and a live block: a scanner in the attacker namespace is cut off in the kernel', async () => {
    await ok(root, ['sipprot', 'deny', 'add', DENIED, 'test net']);
    await ok(root, ['sipprot', 'allow', 'add', ALLOWED, 'office']);
    assert.match(
      readFileSync(root.path('/etc/sipprot/sipprot.denylist'), 'utf8'),
      /^198\.51\.100\.0\/24 test net$/m,
    );
    await scan(attacker, link);
    const block = await waitFor('the scanner block', async () =>
      (await dynamicBlocks(root)).find((b) => b.ip === link.b4),
    );
    assert.equal(block.reason, 'scanner');
    assert.equal(block.userAgent, 'friendly-scanner');
    const rules = await ruleset(root.ns);
    assert.match(rules, new RegExp(`elements = \\{ ${link.b4.replace(/\./g, '\\.')} (timeout|expires)`));
    assert.match(rules, /elements = \{ 198\.51\.100\.0 \}/);
    const r = await root.exec(['sipprot', 'check', link.b4], { allowFail: true });
    assert.equal(r.code, 4, `check of a blocked address exits 4: ${r.stdout}`);
  });

  test('systemctl reload applies a changed config; a broken one fails the reload and keeps the daemon', async () => {
    const pid = await mainPid(root);
    const conf = readFileSync(root.path(CONF), 'utf8');
    writeFileSync(root.path(CONF), `${conf}\nBLOCKTIME=900\n`);
    await ok(root, ['systemctl', 'reload', 'sipprotd']);
    writeFileSync(root.path(CONF), `${conf}\nBLOCKTIME=900\nHIT_COUNT=banana\n`);
    const bad = await root.exec(['systemctl', 'reload', 'sipprotd'], { allowFail: true });
    assert.notEqual(bad.code, 0, 'a reload with HIT_COUNT=banana must fail');
    const journal = await ok(root, ['journalctl', '-u', 'sipprotd', '--no-pager', '-o', 'cat']);
    assert.match(journal, /HIT_COUNT=banana/);
    assert.equal(await mainPid(root), pid, 'the daemon kept running');
    writeFileSync(root.path(CONF), `${conf}\nBLOCKTIME=900\n`);
    await ok(root, ['systemctl', 'reload', 'sipprotd']);
  });

  test('a reload of nftables.service (which flushes the ruleset) is passed on: the table comes back', async () => {
    // A reconcile serves every reason that arrived while the one before it ran: the reload
    // may be the run's `why` or one of its `alsoFor`.
    const reloads = async () =>
      (await ok(root, ['journalctl', '-u', 'sipprotd', '--no-pager', '-o', 'cat'])).match(
        /\b(?:why|alsoFor)="?(?:[^"\n]*; )?reload\b/g,
      )?.length ?? 0;
    const before = await reloads();
    try {
      // Debian's /etc/nftables.conf begins with `flush ruleset`: starting the service
      // removes our table (the kernel watch rebuilds it; the reload below is propagated).
      await ok(root, ['systemctl', 'start', 'nftables']);
      await ok(root, ['systemctl', 'reload', 'nftables']);
      const rules = await waitFor('the table after the propagated reload', async () => {
        const r = await ruleset(root.ns);
        return /table inet sipprot/.test(r) && r;
      });
      assert.match(rules, /elements = \{ 198\.51\.100\.0 \}/);
      await waitFor('sipprotd reconciled on the reload', async () => (await reloads()) > before);
    } finally {
      // Later steps expect a ruleset with nothing but sipprot's table in it.
      await ok(root, ['systemctl', 'stop', 'nftables']);
      await ok(root, ['systemctl', 'reload', 'sipprotd']);
    }
  });

  test('upgrade: config, lists and blocks kept, the daemon restarted on the new version', async () => {
    const pid = await mainPid(root);
    const conf = readFileSync(root.path(CONF), 'utf8');
    const t0 = Date.now();
    const out = await ok(root, ['apt', 'install', '-y', '--no-install-recommends', put(root, upgradeDeb)]);
    console.log(`apt install (upgrade): ${(Date.now() - t0) / 1000}s`);
    assert.match(out, new RegExp(`upgraded from ${version.replace(/[.+]/g, '\\$&')}; sipprotd running`));
    assert.equal(
      (await ok(root, ['dpkg-query', '-W', query('Version'), 'sipprot'])).trim(),
      `${version}+upgrade1`,
    );
    assert.equal(readFileSync(root.path(CONF), 'utf8'), conf, 'the edited conffile is kept');
    assert.notEqual(await mainPid(root), pid, 'restarted');
    assert.equal((await ok(root, ['systemctl', 'is-active', 'sipprotd'])).trim(), 'active');
    const status = await ok(root, ['sipprot', 'status', '--all']);
    assert.match(status, /198\.51\.100\.0\/24/);
    assert.match(status, /192\.0\.2\.7/);
    assert.ok(
      (await dynamicBlocks(root)).some((b) => b.ip === link.b4),
      'the dynamic block survived',
    );
    const rules = await waitFor('the reconciled table', async () => {
      const r = await ruleset(root.ns);
      return r.includes(link.b4) && r;
    });
    assert.match(rules, /elements = \{ 198\.51\.100\.0 \}/);
  });

  test('remove: the daemon stops and leaves no nft rule; config, lists and state stay', async () => {
    await ok(root, ['apt', 'remove', '-y', 'sipprot']);
    assert.equal(await ruleset(root.ns), '');
    assert.ok(!existsSync(root.path('/usr/lib/sipprot')));
    assert.ok(!existsSync(root.path('/usr/bin/sipprot')));
    for (const p of [
      CONF,
      '/etc/sipprot/sipprot.denylist',
      '/etc/sipprot/sipprot.allowlist',
      '/var/lib/sipprot/sipprot.db',
    ])
      assert.ok(existsSync(root.path(p)), `${p} kept`);
    const state = await ok(root, ['dpkg-query', '-W', query('db:Status-Abbrev'), 'sipprot']);
    assert.equal(state.trim(), 'rc');
  });

  test('purge: state, lists, config and the unit links are gone', async () => {
    await ok(root, ['apt', 'purge', '-y', 'sipprot']);
    for (const p of [
      '/etc/sipprot',
      '/var/lib/sipprot',
      '/etc/systemd/system/multi-user.target.wants/sipprotd.service',
    ])
      assert.ok(!existsSync(root.path(p)), `${p} removed`);
    assert.equal(await ruleset(root.ns), '');
  });
});

describe('a sipPROT host: /home/sipprot.conf stays the config, and the sandboxed daemon can write its lists', () => {
  let root: TestRoot;

  before(async () => {
    root = await TestRoot.create(base, await Netns.create('pkg-legacy'));
    writeFileSync(root.path('/home/sipprot.conf'), '# the sipPROT layout\nblock_time=1200\nWEB_LISTEN=off\n');
    writeFileSync(root.path('/home/sipprot.denylist'), '203.0.113.0/24 from the old host\n');
    await root.boot();
  });
  after(async () => {
    await root?.destroy();
  });

  test('install keeps /home/sipprot.conf in use and adds the drop-in; list changes land in /home', async () => {
    const out = await ok(root, ['apt', 'install', '-y', '--no-install-recommends', put(root, deb)]);
    assert.match(out, /found \/home\/sipprot\.conf \(the sipPROT layout\): it stays the configuration/);
    assert.match(out, /web UI: {4}off/);
    assert.ok(!existsSync(root.path(CONF)), 'the untouched template is removed');
    assert.match(
      readFileSync(root.path('/etc/systemd/system/sipprotd.service.d/50-legacy-home.conf'), 'utf8'),
      /^ProtectHome=no\nReadWritePaths=\/home$/m,
    );
    assert.equal((await ok(root, ['systemctl', 'is-active', 'sipprotd'])).trim(), 'active');
    assert.match((await ok(root, ['sipprotd', 'status', '--json'])).trim(), /"answering":true/);
    assert.match(await ruleset(root.ns), /elements = \{ 203\.0\.113\.0 \}/);
    await ok(root, ['sipprot', 'deny', 'add', '198.51.100.9', 'added after install']);
    assert.match(
      readFileSync(root.path('/home/sipprot.denylist'), 'utf8'),
      /^198\.51\.100\.9 added after install$/m,
    );
    assert.match(await ruleset(root.ns), /198\.51\.100\.9/);
  });

  test('without the drop-in the unit sandbox (ProtectHome=read-only) refuses that write', async () => {
    const dropIn = root.path('/etc/systemd/system/sipprotd.service.d/50-legacy-home.conf');
    const text = readFileSync(dropIn, 'utf8');
    rmSync(dropIn);
    await ok(root, ['systemctl', 'daemon-reload']);
    await ok(root, ['systemctl', 'restart', 'sipprotd']);
    await answering(root);
    const r = await root.exec(['sipprot', 'deny', 'add', '198.51.100.10'], { allowFail: true });
    assert.notEqual(r.code, 0, 'the daemon wrote /home despite ProtectHome=read-only');
    assert.match(`${r.stdout}${r.stderr}`, /read-only|EROFS|permission/i);
    assert.doesNotMatch(readFileSync(root.path('/home/sipprot.denylist'), 'utf8'), /198\.51\.100\.10/);
    writeFileSync(dropIn, text);
    await ok(root, ['systemctl', 'daemon-reload']);
    await ok(root, ['systemctl', 'restart', 'sipprotd']);
    await answering(root);
  });

  test('upgrade keeps the layout (no /etc/sipprot/sipprot.conf comes back); purge leaves /home alone', async () => {
    await ok(root, ['apt', 'install', '-y', '--no-install-recommends', put(root, upgradeDeb)]);
    assert.ok(!existsSync(root.path(CONF)));
    assert.match(await ok(root, ['sipprot', 'status', '--deny']), /198\.51\.100\.9/);
    await ok(root, ['apt', 'purge', '-y', 'sipprot']);
    const left = await ruleset(root.ns);
    if (left !== '') {
      const why = await root.exec(['journalctl', '--no-pager', '-n', '60', '-o', 'short'], {
        allowFail: true,
      });
      assert.fail(`a sipprot table is left after purge:\n${why.stdout}`);
    }
    assert.ok(existsSync(root.path('/home/sipprot.conf')));
    assert.match(readFileSync(root.path('/home/sipprot.denylist'), 'utf8'), /198\.51\.100\.9/);
    assert.ok(!existsSync(root.path('/etc/systemd/system/sipprotd.service.d/50-legacy-home.conf')));
  });
});

describe('without systemd (chroot): the init script and sipprotd start|stop', () => {
  let root: TestRoot;

  before(async () => {
    root = await TestRoot.create(base, await Netns.create('pkg-sysv'));
    // A chroot has no booted init; invoke-rc.d then refuses to start anything unless
    // policy-rc.d allows it, as a sysvinit host would.
    writeFileSync(root.path('/usr/sbin/policy-rc.d'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  });
  after(async () => {
    await root?.destroy();
  });

  test('install starts the daemon through the init script; stop leaves no rule; status says so', async () => {
    await ok(root, ['apt', 'install', '-y', '--no-install-recommends', put(root, deb)]);
    assert.match(await ok(root, ['sipprotd', 'status']), /sipprotd is running \(pid \d+\)/);
    assert.match(await ruleset(root.ns), /table inet sipprot/);
    assert.match(readFileSync(root.path('/var/lib/sipprot/sipprotd.log'), 'utf8'), /one-time password/);
    assert.ok(existsSync(root.path('/etc/rc2.d/S01sipprotd')), 'rc links for sysvinit');
    await ok(root, ['/etc/init.d/sipprotd', 'stop']);
    assert.equal(await ruleset(root.ns), '');
    const st = await root.exec(['sipprotd', 'status'], { allowFail: true });
    assert.equal(st.code, 3);
    assert.equal(st.stdout, 'sipprotd is not running\n');
    assert.match(await ok(root, ['sipprot', 'status']), /^daemon: not running$/m);
    await ok(root, ['sipprotd', 'start']);
    assert.match(await ruleset(root.ns), /table inet sipprot/);
    await ok(root, ['dpkg', '--purge', 'sipprot']);
    assert.equal(await ruleset(root.ns), '');
    assert.ok(!existsSync(root.path('/var/lib/sipprot')));
    assert.ok(!existsSync(root.path('/etc/rc2.d/S01sipprotd')));
  });
});
