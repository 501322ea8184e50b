import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AlertBoard } from '../admin/alert-board.js';
import { LocalAdmin } from '../admin/local-admin.js';
import { parseConfig } from '../core/config/parse.js';
import { aBlock, blockedAt } from '../core/records.testkit.js';
import type { BlockRecord, Config } from '../core/types.js';
import { ListFiles } from '../lists/list-files.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { EXIT } from './exit-codes.js';
import { runCli } from './program.js';

const NOW = 1_800_000_000;

describe('sipprot CLI (local backend: list files and SQLite)', () => {
  let dir: string;
  let config: Config;
  let store: SqliteStore;
  let admin: LocalAdmin;

  const run = async (...argv: string[]) => {
    let out = '';
    let err = '';
    const code = await runCli(argv, {
      io: { out: (s) => (out += s), err: (s) => (err += s) },
      admin: async () => admin,
    });
    return { code, out, err };
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sipprot-cli-'));
    config = parseConfig(`STATE_DIR=${dir}/state\n`, { source: join(dir, 'sipprot.conf') });
    store = await SqliteStore.open(config.stateDir);
    writeFileSync(config.denylistFile, '# one a line\n192.168.50.0/24 office range\n');
    writeFileSync(config.allowlistFile, '192.168.50.15 the boss\n');
    admin = new LocalAdmin({
      config,
      lists: new ListFiles({ allow: config.allowlistFile, deny: config.denylistFile }),
      store,
      geo: null,
      mailStatus: () => ({ configured: false, message: 'no mail: SMTP_HOST is not set' }),
      clock: () => NOW,
    });
    await store.upsertBlock(aBlock('203.0.113.9', { ...blockedAt(NOW - 5), attempts: 10 }));
    await store.upsertBlock(aBlock('198.51.100.7', { ...blockedAt(NOW - 5, null), reason: 'threshold' }));
    await store.upsertBlock(aBlock('198.51.100.8', { ...blockedAt(NOW - 5), expiresAt: NOW - 1 }));
  });
  after(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('status prints the manual table with the four lists', async () => {
    const r = await run('status');
    assert.equal(r.code, EXIT.ok);
    const rows = r.out.split('\n').filter((l) => l.startsWith('| '));
    assert.deepEqual(
      rows.map((l) =>
        l
          .split('|')
          .map((c) => c.trim())
          .filter(Boolean),
      ),
      [
        ['LIST', 'NUM OF IPS'],
        ['Allow', '1'],
        ['Deny', '1'],
        ['Dynamic (permanent)', '1'],
        ['Dynamic (temporary)', '1'],
      ],
    );
    assert.match(r.out, /mail: no mail: SMTP_HOST is not set/);
    assert.doesNotMatch(r.out, /OBSERVE/);
  });

  it('alerts: listed (escaped), shown in status until acknowledged; ack is recorded as the CLI', async () => {
    const board = new AlertBoard(store);
    await board.raise(
      {
        at: NOW - 60,
        kind: 'breach',
        ip: '198.51.100.66',
        user: '10\u001b[2J99',
        dialled: null,
        failures: 35,
        sources: [],
        userAgent: null,
        transport: 'udp',
        port: 5060,
        text: 'possible cracked password: extension 10\u001b[2J99, from 198.51.100.66, after 35 failures',
      },
      'NL',
    );
    const list = await run('alerts');
    assert.match(
      list.out,
      /^ALERT #1 breach at .*: possible cracked password: extension 10.\[2J99, from 198\.51\.100\.66/m,
    );
    assert.doesNotMatch(list.out, /\u001b/, 'no terminal escape reaches the terminal');
    assert.match((await run('status')).out, /^ALERT #1 breach/m);
    assert.equal((await run('alerts', 'ack')).code, EXIT.usage);
    const ack = await run('alerts', 'ack', '1');
    assert.equal(ack.out, 'acknowledged #1\n');
    assert.equal((await run('alerts')).out, 'no open alerts\n');
    assert.doesNotMatch((await run('status')).out, /ALERT/);
    const h = await store.history({ limit: 5, kinds: ['alert-ack'] });
    assert.deepEqual(
      h.events.map((e) => [e.subject, e.actor]),
      [['198.51.100.66', 'cli']],
    );
  });

  it('status never looks like protection in OBSERVE mode (all rules, or some)', async () => {
    for (const [value, said] of [
      ['all', /^OBSERVE MODE: sipprot detects attacks but BLOCKS NOTHING it detects \(OBSERVE=all\)/m],
      [
        'scanner,flood',
        /^OBSERVE MODE for scanner, flood: these rules only report \('would block'\) and do NOT block/m,
      ],
    ] as const) {
      const observing = new LocalAdmin({
        config: parseConfig(`STATE_DIR=${dir}/state\nOBSERVE=${value}\n`, {
          source: join(dir, 'sipprot.conf'),
        }),
        lists: new ListFiles({ allow: config.allowlistFile, deny: config.denylistFile }),
        store,
        geo: null,
        mailStatus: () => ({ configured: false, message: 'no mail' }),
        clock: () => NOW,
      });
      let out = '';
      await runCli(['status'], {
        io: { out: (s) => (out += s), err: () => undefined },
        admin: async () => observing,
      });
      assert.match(out, said);
      // First under the table, before the daemon line: not a detail among others.
      assert.ok(out.indexOf('OBSERVE MODE') < out.indexOf('daemon:'));
      let json = '';
      await runCli(['status', '--json'], {
        io: { out: (s) => (json += s), err: () => undefined },
        admin: async () => observing,
      });
      assert.deepEqual(JSON.parse(json).observe, value === 'all' ? ['all'] : ['scanner', 'flood']);
    }
  });

  it('status --dynamic shows live blocks with user agent, reason and time left; --json is data', async () => {
    const r = await run('status', '--dynamic');
    assert.match(r.out, /203\.0\.113\.9 .*friendly-scanner.*auth-failures.*9m 55s/);
    assert.match(r.out, /198\.51\.100\.7 .*permanent/);
    assert.doesNotMatch(r.out, /198\.51\.100\.8/, 'expired blocks are not shown');
    const j = JSON.parse((await run('status', '--dynamic', '--json')).out);
    assert.equal(j.counts.dynamicTemporary, 1);
    assert.deepEqual(j.dynamic.map((b: BlockRecord) => b.ip).sort(), ['198.51.100.7', '203.0.113.9']);
    assert.equal(j.allow, undefined);
  });

  it('check: allow beats deny (exit 0), a denied address exits 4, garbage exits 2', async () => {
    const boss = await run('check', '192.168.50.15');
    assert.equal(boss.code, EXIT.ok);
    assert.match(boss.out, /not blocked/);
    assert.match(boss.out, /allow list: 192\.168\.50\.15 \("the boss"\)/);
    assert.match(boss.out, /deny list: 192\.168\.50\.0\/24 \("office range"\)/);
    const other = await run('check', '192.168.50.16', '--json');
    assert.equal(other.code, EXIT.blocked);
    assert.equal(JSON.parse(other.out).blocked, true);
    const dyn = await run('check', '203.0.113.9');
    assert.equal(dyn.code, EXIT.blocked);
    assert.match(dyn.out, /dynamic deny list: auth-failures, 10 attempts, user agent "friendly-scanner"/);
    const bad = await run('check', '999.1.1.1');
    assert.equal(bad.code, EXIT.usage);
    assert.match(bad.err, /"999\.1\.1\.1" is not an IPv4 or IPv6 address/);
  });

  it('deny add/remove change the file; a bad address is refused with exit 2 and nothing changes', async () => {
    const before = readFileSync(config.denylistFile, 'utf8');
    const bad = await run('deny', 'add', '10.0.0.300');
    assert.equal(bad.code, EXIT.usage);
    assert.equal(readFileSync(config.denylistFile, 'utf8'), before);
    assert.equal((await run('deny', 'add', '2001:db8::/32', 'v6', 'net')).code, EXIT.ok);
    assert.match(readFileSync(config.denylistFile, 'utf8'), /2001:db8::\/32\s+v6 net/);
    const rm = await run('deny', 'remove', '2001:db8::/32', '10.9.9.9');
    assert.equal(rm.code, EXIT.failure, 'a missing entry is reported');
    assert.match(rm.err, /not in the deny list: 10\.9\.9\.9/);
    assert.doesNotMatch(readFileSync(config.denylistFile, 'utf8'), /2001:db8/);
  });

  it('refuses to deny loopback', async () => {
    const r = await run('deny', 'add', '127.0.0.0/8');
    assert.equal(r.code, EXIT.failure);
    assert.match(r.err, /loopback/);
  });

  it('CSV import reports bad lines by number and applies nothing; --skip-invalid applies the rest', async () => {
    const csv = join(dir, 'in.csv');
    writeFileSync(csv, 'network,note\n198.18.0.1,one\nnot-an-ip,two\n198.18.0.0/15,three\n');
    const before = readFileSync(config.allowlistFile, 'utf8');
    const r = await run('allow', 'import', csv);
    assert.equal(r.code, EXIT.usage);
    assert.match(r.err, /in\.csv:3: 'not-an-ip': not an IPv4 or IPv6 address/);
    assert.equal(readFileSync(config.allowlistFile, 'utf8'), before);
    const s = await run('allow', 'import', csv, '--skip-invalid');
    assert.match(s.out, /imported 2 new/);
    const exported = (await run('allow', 'export')).out;
    assert.match(exported, /^network,note\r\n/);
    assert.match(exported, /198\.18\.0\.0\/15,three/);
  });

  it('unblock lifts a block; unblocking an address that is not blocked exits 1', async () => {
    assert.equal((await run('unblock', '203.0.113.9')).code, EXIT.ok);
    assert.equal(await store.getBlock('203.0.113.9'), null);
    const again = await run('unblock', '203.0.113.9');
    assert.equal(again.code, EXIT.failure);
    assert.match(again.err, /not dynamically blocked/);
  });

  it('version, --help, unknown commands and completion', async () => {
    assert.match((await run('version')).out, /^sipprot \d+\.\d+\.\d+\n$/);
    const help = await run('--help');
    assert.equal(help.code, EXIT.ok);
    assert.match(help.out, /status/);
    assert.match(help.out, /Exit codes/);
    assert.equal((await run('frobnicate')).code, EXIT.usage);
    const comp = await run('completion', 'bash');
    assert.match(comp.out, /complete -o default -F _sipprot_complete sipprot/);
    assert.match(comp.out, /"sipprot deny"\) words="list add remove import export template --help"/);
    assert.equal((await run('completion', 'zsh')).code, EXIT.ok);
    assert.equal((await run('completion', 'fish')).code, EXIT.usage);
    const none = await run('completion');
    assert.equal(none.code, EXIT.usage);
    assert.match(none.err, /missing required argument 'shell'[\s\S]*Usage: sipprot completion/);
    const compHelp = await run('completion', '--help');
    assert.equal(compHelp.code, EXIT.ok);
    assert.match(compHelp.out, /^Usage: sipprot completion \[options\] <shell>/);
  });
});
