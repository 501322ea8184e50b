/**
 * Issue 10 items 8 and 9 on the CLI (the local backend: list files and SQLite, the same
 * LocalAdmin the daemon serves): the one lock-out guard protects the host's own addresses
 * and the SSH client of the shell, allow beats deny, --force overrides, `remove --all`
 * asks on a terminal and needs --yes elsewhere, near-total ranges need --force and
 * never-a-source entries are refused with their reason.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { LocalAdmin } from '../admin/local-admin.js';
import { parseConfig } from '../core/config/parse.js';
import type { Config } from '../core/types.js';
import { ListFiles } from '../lists/list-files.js';
import { protectedByHost } from '../platform/host-facts.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { EXIT } from './exit-codes.js';
import { runCli } from './program.js';

const HOST = {
  own: [{ ip: '10.77.1.5', iface: 'eth0' }],
  resolvers: ['10.77.1.53'],
  gateways: [],
  sshPeers: [],
};

describe('sipprot CLI: the lock-out guard and list entry checks', () => {
  let dir: string;
  let config: Config;
  let store: SqliteStore;
  let admin: LocalAdmin;
  let answer: boolean | null = null;
  let asked: string[] = [];

  const run = async (env: NodeJS.ProcessEnv, ...argv: string[]) => {
    let out = '';
    let err = '';
    const confirm =
      answer === null
        ? {}
        : {
            confirm: async (q: string) => {
              asked.push(q);
              return answer!;
            },
          };
    const code = await runCli(argv, {
      io: { out: (s) => (out += s), err: (s) => (err += s) },
      admin: async () => admin,
      env,
      ...confirm,
    });
    return { code, out, err };
  };
  const atConsole = {};
  const ssh = { SSH_CLIENT: '203.0.113.50 52144 22' };
  const deny = () => readFileSync(config.denylistFile, 'utf8');
  const allow = () => readFileSync(config.allowlistFile, 'utf8');

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sipprot-guard-'));
    config = parseConfig(`STATE_DIR=${dir}/state\n`, { source: join(dir, 'sipprot.conf') });
    store = await SqliteStore.open(config.stateDir);
    admin = new LocalAdmin({
      config,
      lists: new ListFiles({ allow: config.allowlistFile, deny: config.denylistFile }),
      store,
      geo: null,
      mailStatus: () => ({ configured: false, message: '' }),
      clock: () => 1_800_000_000,
      protect: () => protectedByHost(HOST),
    });
  });
  beforeEach(() => {
    writeFileSync(config.denylistFile, '');
    writeFileSync(config.allowlistFile, '');
    answer = null;
    asked = [];
  });
  after(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("deny add covering the server's own address is refused, naming it; --force goes ahead", async () => {
    const r = await run(atConsole, 'deny', 'add', '10.77.1.0/24');
    assert.equal(r.code, EXIT.failure);
    assert.match(
      r.err,
      /refused: denying 10\.77\.1\.0\/24 would cut off 10\.77\.1\.5 \(this host's address \(eth0\)\)/,
    );
    assert.match(r.err, /10\.77\.1\.53 \(this host's DNS resolver\)/);
    assert.equal(deny(), '');
    const f = await run(atConsole, 'deny', 'add', '10.77.1.0/24', '--force');
    assert.equal(f.code, EXIT.ok, f.err);
    assert.match(deny(), /^10\.77\.1\.0\/24$/m);
  });

  it('the SSH client of the shell is protected like a web admin', async () => {
    const r = await run(ssh, 'deny', 'add', '203.0.113.0/24');
    assert.equal(r.code, EXIT.failure);
    assert.match(r.err, /would cut off 203\.0\.113\.50 \(you are connected from it\)/);
    assert.equal(
      (await run(atConsole, 'deny', 'add', '203.0.113.0/24')).code,
      EXIT.ok,
      'from the console nobody is there',
    );
  });

  it('allow beats deny: an allow-listed admin may deny the network around them', async () => {
    assert.equal((await run(ssh, 'allow', 'add', '203.0.113.50', 'me')).code, EXIT.ok);
    const r = await run(ssh, 'deny', 'add', '203.0.113.0/24');
    assert.equal(r.code, EXIT.ok, r.err);
  });

  it('remove --all asks on a terminal, needs --yes in scripts, and still passes the guard', async () => {
    writeFileSync(config.allowlistFile, '203.0.113.50 me\n198.51.100.1 office\n');
    const script = await run(atConsole, 'allow', 'remove', '--all');
    assert.equal(script.code, EXIT.usage);
    assert.match(script.err, /would remove all 2 entries of the allow list: add --yes to confirm/);
    assert.match(allow(), /203\.0\.113\.50/);
    answer = false;
    const no = await run(atConsole, 'allow', 'remove', '--all');
    assert.deepEqual(asked, ['Remove all 2 entries of the allow list? [y/N] ']);
    assert.equal(no.code, EXIT.failure);
    assert.match(allow(), /198\.51\.100\.1/);
    // The SSH client is allow-listed inside a denied network: emptying the allow list cuts it off.
    writeFileSync(config.denylistFile, '203.0.113.0/24\n');
    const locked = await run(ssh, 'allow', 'remove', '--all', '--yes');
    assert.equal(locked.code, EXIT.failure);
    assert.match(
      locked.err,
      /removing 203\.0\.113\.50 from the allow list \(then the deny list entry 203\.0\.113\.0\/24 drops it\)/,
    );
    answer = true;
    const yes = await run(ssh, 'allow', 'remove', '--all', '--force');
    assert.equal(yes.code, EXIT.ok, yes.err);
    assert.match(yes.out, /removed 2 entries/);
  });

  it('near-total ranges need --force; never-a-source entries are refused with their reason', async () => {
    const huge = await run(atConsole, 'deny', 'add', '128.0.0.0/1');
    assert.equal(huge.code, EXIT.failure);
    assert.match(huge.err, /'128\.0\.0\.0\/1' covers 1\/2 of all IPv4 addresses: repeat with --force/);
    assert.equal((await run(atConsole, 'deny', 'add', '2000::/3', '--force')).code, EXIT.ok);
    for (const bad of ['0.0.0.0', '::', '127.0.0.1', 'ff02::1', '255.255.255.255']) {
      const r = await run(atConsole, 'allow', 'add', bad);
      assert.equal(r.code, EXIT.usage, bad);
      assert.match(r.err, /refused: .* no packet comes from it/);
    }
    assert.equal(allow(), '');
  });

  it('a CSV import passes the same guard', async () => {
    const csv = join(dir, 'in.csv');
    writeFileSync(csv, 'network,note\n192.0.2.9,x\n10.77.1.5,oops\n');
    const r = await run(atConsole, 'deny', 'import', csv);
    assert.equal(r.code, EXIT.failure);
    assert.match(r.err, /10\.77\.1\.5 \(this host's address/);
    assert.equal(deny(), '');
  });
});
