/**
 * "The CLI never surprises" (issue 16 item 3), each case through the real entry points:
 * pipes closed early (`| head`) end quietly with 0, `--version`, `import --skip-invalid`,
 * `sipprotd stop` on a stopped daemon, misspelled config keys and `--set` overrides named
 * as typed, read-only commands that create no state database, bash and zsh completion.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { writePcap } from '../core/packet/capture-files.testkit.js';
import { ethernetUdp4 } from '../core/packet/packets.testkit.js';
import { sipRequest } from '../core/packet/sip-messages.testkit.js';
import { aBlock, blockedAt } from '../core/records.testkit.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { EXIT } from './exit-codes.js';
import { main as sipprot } from './sipprot.js';
import { main as sipprotd } from './sipprotd.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
// The installed command (dist: `npm run build` first), as admins pipe it.
const BIN = join(ROOT, 'bin/sipprot.js');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

async function run(cli: typeof sipprot, ...argv: string[]) {
  let out = '';
  let err = '';
  const code = await cli(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

/** `sipprot ARGS | head -N` in bash: the CLI's exit status, its stderr, what head printed. */
function piped(args: string[], lines = 1) {
  const cmd = `node ${BIN} ${args.map((a) => `'${a}'`).join(' ')} 2>"$ERRFILE" | head -${lines}; echo "exit=\${PIPESTATUS[0]}"`;
  const errFile = join(tmpdir(), `sipprot-pipe-${process.pid}-${Math.random().toString(36).slice(2)}`);
  let out: string;
  let err: string;
  try {
    out = execFileSync('bash', ['-c', cmd], {
      cwd: ROOT,
      env: { ...process.env, ERRFILE: errFile },
    }).toString();
    err = readFileSync(errFile, 'utf8');
  } finally {
    rmSync(errFile, { force: true });
  }
  const exit = Number(/exit=(\d+)\s*$/.exec(out)?.[1]);
  return { exit, err, head: out.replace(/exit=\d+\s*$/, '') };
}

describe('sipprot never surprises', () => {
  let dir: string;
  let conf: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sipprot-surprises-'));
    conf = join(dir, 'sipprot.conf');
    writeFileSync(conf, `STATE_DIR=${dir}/state\n`);
    // Big enough that the writer is still writing when head has gone (a pipe holds 64 KiB).
    const deny = Array.from({ length: 6000 }, (_, i) => `10.${i >> 8}.${i & 255}.1 entry number ${i}`);
    writeFileSync(join(dir, 'sipprot.denylist'), `${deny.join('\n')}\n`);
    const store = SqliteStore.open(join(dir, 'state'));
    const now = Date.now() / 1000;
    for (let i = 0; i < 3000; i++) {
      await store.upsertBlock(aBlock(`198.18.${i >> 8}.${i & 255}`, blockedAt(now - 10)));
    }
    await store.close();
    // Scanners from 3,000 addresses: replay prints one JSON line per block.
    const frames = Array.from({ length: 3000 }, (_, i) => ({
      at: 1_800_000_000 + i / 100,
      frame: ethernetUdp4(
        `203.0.${i >> 8}.${i & 255}`,
        5060,
        '192.0.2.1',
        5060,
        sipRequest({ method: 'OPTIONS', userAgent: 'friendly-scanner', callId: `c${i}` }),
      ),
    }));
    writeFileSync(join(dir, 'scan.pcap'), writePcap(frames));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  describe('a pipe closed early (| head) ends quietly with exit 0', () => {
    for (const args of [
      ['status', '--dynamic'],
      ['deny', 'list'],
      ['deny', 'export'],
      ['replay', '--json', 'SCAN'],
      ['replay', 'SCAN'],
    ]) {
      it(`sipprot ${args.join(' ')} | head -1`, () => {
        const argv = ['--config', conf, ...args.map((a) => (a === 'SCAN' ? join(dir, 'scan.pcap') : a))];
        const r = piped(argv);
        assert.equal(r.err, '', 'nothing on stderr (no EPIPE stack trace)');
        assert.equal(r.exit, 0);
        assert.equal(r.head.split('\n').filter(Boolean).length, 1);
      });
    }
  });

  it('counts have thousands separators (status), times the UTC offset (status --dynamic)', async () => {
    const r = await run(sipprot, '--config', conf, 'status', '--dynamic');
    assert.equal(r.code, EXIT.ok, r.err);
    assert.match(r.out, /\| Deny +\| 6,000 +\|/);
    assert.match(r.out, /\| Dynamic \(temporary\) +\| 3,000 +\|/);
    assert.match(r.out, /198\.18\.0\.0 .*\d{4}-\d\d-\d\d \d\d:\d\d [+-]\d\d:\d\d/);
  });

  it('sipprot status with the daemon stopped: the lists, "daemon: not running", exit 0; --help says so', async () => {
    const r = await run(sipprot, '--config', conf, 'status');
    assert.equal(r.code, EXIT.ok, r.err);
    assert.match(r.out, /\| Deny +\| 6,000 +\|/);
    assert.match(r.out, /^daemon: not running$/m);
    const j = await run(sipprot, '--config', conf, 'status', '--json');
    assert.equal(j.code, EXIT.ok, j.err);
    assert.equal((JSON.parse(j.out) as { daemon: { running: boolean } }).daemon.running, false);
    // The man page's EXIT STATUS is this text (packaging/gen-docs.ts): it must say the same.
    const help = (await run(sipprot, '--help')).out.replace(/\s+/g, ' ');
    assert.match(help, /3 daemon not running \(feeds update, which needs it\)/);
    assert.match(
      help,
      /status reads the lists with or without the daemon: it exits 0 and says "daemon: not running"/,
    );
  });

  it('--version and version print the version; -V too; exit 0', async () => {
    for (const argv of [['--version'], ['-V'], ['version']]) {
      const r = await run(sipprot, ...argv);
      assert.equal(r.code, EXIT.ok, argv.join(' '));
      assert.equal(r.out, `sipprot ${VERSION}\n`);
    }
    const d = await run(sipprotd, '--version');
    assert.equal(d.code, EXIT.ok);
    assert.equal(d.out, `sipprotd ${VERSION}\n`);
  });

  describe('import --skip-invalid', () => {
    const csv = (name: string, text: string) => {
      const p = join(dir, name);
      writeFileSync(p, text);
      return p;
    };

    it('imports the valid lines, says how many it skipped, exit 0', async () => {
      const f = csv('mixed.csv', 'network,note\n192.0.2.7,front desk\nnot-an-ip,x\n192.0.2.8,\n');
      const r = await run(sipprot, '--config', conf, 'allow', 'import', f, '--skip-invalid');
      assert.equal(r.code, EXIT.ok);
      assert.match(
        r.out,
        /imported 2 new and 0 existing entries into the allow list; skipped 1 invalid line\(s\)/,
      );
      assert.match(r.err, /mixed\.csv:3: skipped: .*"not-an-ip,x"/);
      assert.match(readFileSync(join(dir, 'sipprot.allowlist'), 'utf8'), /192\.0\.2\.8/);
    });

    it('without the flag: nothing imported, exit 2; with it and no valid line: exit 2', async () => {
      const f = csv('bad.csv', '192.0.2.9,ok\nnope,x\n');
      const r = await run(sipprot, '--config', conf, 'allow', 'import', f);
      assert.equal(r.code, EXIT.usage);
      assert.match(r.err, /nothing imported: 1 invalid line\(s\)/);
      assert.doesNotMatch(readFileSync(join(dir, 'sipprot.allowlist'), 'utf8'), /192\.0\.2\.9/);
      const none = csv('none.csv', 'nope,x\nalso-bad,y\n');
      const r2 = await run(sipprot, '--config', conf, 'allow', 'import', none, '--skip-invalid');
      assert.equal(r2.code, EXIT.usage);
      assert.match(
        r2.out,
        /imported 0 new and 0 existing entries into the allow list; skipped 2 invalid line\(s\)/,
      );
    });
  });

  it('sipprotd stop on a stopped daemon says so and exits 3, as documented in --help', () => {
    // In a network namespace of its own: stop also looks for a table a dead daemon left.
    const r = spawnSync(
      'unshare',
      ['-n', 'node', '--import', 'tsx', join(ROOT, 'test/e2e/bin/sipprotd.ts'), '--config', conf, 'stop'],
      { cwd: ROOT, encoding: 'utf8' },
    );
    assert.equal(r.status, EXIT.notRunning, r.stderr);
    assert.equal(r.stdout, 'sipprotd is not running: nothing to stop\n');
  });

  it('sipprotd --help documents exit 3 for stop and reload', async () => {
    const r = await run(sipprotd, '--help');
    assert.match(r.out, /3 not running \(status, stop, reload\)/);
  });

  describe('misspelled config keys', () => {
    it('in the file: a warning naming file, line and the key meant; FOO gets no wild guess', async () => {
      const f = join(dir, 'typo.conf');
      writeFileSync(f, `STATE_DIR=${dir}/state\nBLOKTIME=5\nFOO=bar\nhit_cont=3\n`);
      const r = await run(sipprot, '--config', f, 'status');
      assert.equal(r.code, EXIT.ok);
      assert.match(
        r.err,
        new RegExp(`warning: ${f}: BLOKTIME \\(line 2\\): unknown key, ignored; did you mean BLOCKTIME\\?`),
      );
      assert.match(r.err, /FOO \(line 3\): unknown key, ignored\n/);
      assert.match(r.err, /hit_cont \(line 4\): unknown key, ignored; did you mean HIT_COUNT\?/);
      const d = await run(sipprotd, '--config', f, 'status');
      assert.match(d.err, /BLOKTIME \(line 2\): unknown key, ignored; did you mean BLOCKTIME\?/);
    });

    it('--set FOO=1 and --set BLOKTIME=5 are errors (exit 2) with the hint', async () => {
      const pcap = join(dir, 'scan.pcap');
      const foo = await run(sipprot, '--config', conf, 'replay', pcap, '--set', 'FOO=1');
      assert.equal(foo.code, EXIT.usage);
      assert.equal(foo.err, 'error: --set FOO=1: unknown key\n');
      const typo = await run(sipprot, '--config', conf, 'replay', pcap, '--set', 'BLOKTIME=5');
      assert.equal(typo.code, EXIT.usage);
      assert.equal(typo.err, 'error: --set BLOKTIME=5: unknown key; did you mean BLOCKTIME?\n');
    });

    it('--set HIT_COUNT=abc is blamed as typed, not as "line 2"', async () => {
      const r = await run(
        sipprot,
        '--config',
        conf,
        'replay',
        join(dir, 'scan.pcap'),
        '--set',
        'HIT_COUNT=abc',
      );
      assert.equal(r.code, EXIT.usage);
      assert.match(r.err, /^error: --set HIT_COUNT=abc: must be /);
      assert.doesNotMatch(r.err, /line/);
      const ok = await run(
        sipprot,
        '--config',
        conf,
        'replay',
        join(dir, 'scan.pcap'),
        '--set',
        'hit_count=3',
      );
      assert.equal(ok.code, EXIT.ok, ok.err);
    });
  });

  it('status, check and list with no state database create none (read-only), and say so', async () => {
    const f = join(dir, 'fresh.conf');
    const state = join(dir, 'never-created');
    writeFileSync(f, `STATE_DIR=${state}\n`);
    for (const argv of [['status'], ['status', '--all'], ['check', '192.0.2.1'], ['deny', 'list']]) {
      const r = await run(sipprot, '--config', f, ...argv);
      assert.equal(r.code, EXIT.ok, `${argv.join(' ')}: ${r.err}`);
      assert.match(r.err, /note: no state database yet/);
      assert.equal(existsSync(state), false, `${argv.join(' ')} created ${state}`);
    }
    const s = await run(sipprot, '--config', f, 'status');
    assert.match(s.out, /Dynamic \(temporary\) \| 0 /);
  });

  describe('completion', () => {
    const bash = (script: string, words: string[]) =>
      execFileSync(
        'bash',
        [
          '-c',
          `${script}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; ${words[0] === 'sipprot' ? '_sipprot_complete' : '_sipprotd_complete'}; printf '%s\\n' "\${COMPREPLY[@]}"`,
        ],
        { encoding: 'utf8' },
      )
        .split('\n')
        .filter(Boolean);
    const zsh = (script: string, words: string[]) =>
      execFileSync(
        'zsh',
        [
          '-c',
          `compdef() { :; }; compadd() { shift; print -l -- "$@"; }; _files() { print FILES; }\n${script}\nwords=(${words.map((w) => `'${w}'`).join(' ')}); CURRENT=${words.length}; ${words[0] === 'sipprot' ? '_sipprot_complete' : '_sipprotd_complete'}`,
        ],
        { encoding: 'utf8' },
      )
        .split('\n')
        .filter(Boolean);

    it('bash: sipprot and sipprotd complete commands, subcommands and options', async () => {
      const s = (await run(sipprot, 'completion', 'bash')).out;
      assert.deepEqual(bash(s, ['sipprot', 'al']).sort(), ['alerts', 'allow']);
      assert.ok(bash(s, ['sipprot', 'alerts', '']).includes('ack'));
      assert.deepEqual(bash(s, ['sipprot', '--config', '/etc/x.conf', 'allow', 'im']), ['import']);
      assert.ok(bash(s, ['sipprot', 'status', '--']).includes('--dynamic'));
      const d = await run(sipprotd, 'completion', 'bash');
      assert.equal(d.code, EXIT.ok);
      assert.deepEqual(bash(d.out, ['sipprotd', 'st']).sort(), ['start', 'status', 'stop']);
      assert.ok(bash(d.out, ['sipprotd', 're']).includes('reload'));
    });

    it('zsh: the same words; a file after --config', async () => {
      const s = (await run(sipprot, 'completion', 'zsh')).out;
      assert.match(s, /^#compdef sipprot\n/);
      assert.ok(zsh(s, ['sipprot', '']).includes('status'));
      assert.ok(zsh(s, ['sipprot', 'deny', '']).includes('import'));
      assert.deepEqual(zsh(s, ['sipprot', '--config', '']), ['FILES']);
      const d = (await run(sipprotd, 'completion', 'zsh')).out;
      assert.ok(zsh(d, ['sipprotd', '']).includes('reload'));
    });

    it('an unknown shell is bad usage (exit 2)', async () => {
      const r = await run(sipprotd, 'completion', 'fish');
      assert.equal(r.code, EXIT.usage);
      assert.match(r.err, /unsupported shell "fish": use bash or zsh/);
    });
  });
});
