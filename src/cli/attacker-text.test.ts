/**
 * Issue 10 item 14 on the terminal: `status --dynamic` and `check` printed a block's
 * User-Agent raw (`^[[2J^[]0;pwned^G` under `cat -v`), and --json passed U+009B and bidi
 * overrides. Every byte the CLI prints now goes through core/text/terminal.ts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LocalAdmin } from '../admin/local-admin.js';
import { parseConfig } from '../core/config/parse.js';
import { aBlock, blockedAt } from '../core/records.testkit.js';
import { ListFiles } from '../lists/list-files.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { runCli } from './program.js';

const NOW = 1_800_000_000;
const EVIL = '\u001b[2J\u001b]0;pwned\u0007\r\u0000\u009b31m\u0085\u202eevil\u2066';
const ACTIVE =
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]|\r(?!\n)/;

describe('CLI output is inert whatever an attacker wrote', () => {
  let store: SqliteStore;
  let admin: LocalAdmin;
  const run = async (...argv: string[]) => {
    let out = '';
    let err = '';
    await runCli(argv, {
      io: { out: (s) => (out += s), err: (s) => (err += s) },
      admin: async () => admin,
      env: {},
    });
    return out + err;
  };

  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sipprot-evil-'));
    const config = parseConfig(`STATE_DIR=${dir}/state\n`, { source: join(dir, 'sipprot.conf') });
    store = await SqliteStore.open(config.stateDir);
    admin = new LocalAdmin({
      config,
      lists: new ListFiles({ allow: config.allowlistFile, deny: config.denylistFile }),
      store,
      geo: null,
      mailStatus: () => ({ configured: false, message: '' }),
      clock: () => NOW,
    });
    await store.upsertBlock(
      aBlock('203.0.113.9', {
        ...blockedAt(NOW - 5),
        userAgent: EVIL,
        users: [`1${EVIL}`],
        reason: 'scanner',
      }),
    );
  });
  after(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const argv of [
    ['status', '--dynamic'],
    ['check', '203.0.113.9'],
    ['status', '--dynamic', '--json'],
    ['check', '203.0.113.9', '--json'],
  ]) {
    it(`sipprot ${argv.join(' ')}`, async () => {
      const out = await run(...argv);
      assert.match(out, /203\.0\.113\.9/);
      assert.doesNotMatch(out, ACTIVE, JSON.stringify(out.slice(0, 300)));
    });
  }
});
