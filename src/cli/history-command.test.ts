/**
 * `sipprot history` and the history side of `sipprot check` (issue 16 items 1 and 2), on
 * LocalAdmin over a real SQLite store: filters, pages and the "more:" hint, --json and
 * --csv, bad arguments (exit 2), and "my phone is blocked" answered in one command.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LocalAdmin } from '../admin/local-admin.js';
import { parseConfig } from '../core/config/parse.js';
import { aHistoryEvent } from '../core/history/history.testkit.js';
import { aBlock, blockedAt } from '../core/records.testkit.js';
import { ListFiles } from '../lists/list-files.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { EXIT } from './exit-codes.js';
import { runCli } from './program.js';

const NOW = 1_800_000_000;

describe('sipprot history and check (local backend)', () => {
  let dir: string;
  let store: SqliteStore;
  let admin: LocalAdmin;
  const run = async (...argv: string[]) => {
    let out = '';
    let err = '';
    const code = await runCli(argv, {
      io: { out: (s) => (out += s), err: (s) => (err += s) },
      admin: async () => admin,
      clock: () => NOW,
      env: {},
    });
    return { code, out, err };
  };

  before(async () => {
    process.env.TZ = 'Europe/Amsterdam';
    dir = mkdtempSync(join(tmpdir(), 'sipprot-history-cli-'));
    const config = parseConfig(`STATE_DIR=${dir}/state\n`, { source: join(dir, 'sipprot.conf') });
    writeFileSync(config.allowlistFile, '');
    writeFileSync(config.denylistFile, '');
    store = SqliteStore.open(config.stateDir);
    admin = new LocalAdmin({
      config,
      lists: new ListFiles({ allow: config.allowlistFile, deny: config.denylistFile }),
      store,
      geo: null,
      mailStatus: () => ({ configured: false, message: 'no mail' }),
      clock: () => NOW,
    });
    await store.recordHistory([
      aHistoryEvent('203.0.113.9', NOW - 86400 * 2, { reason: 'scanner', userAgent: 'friendly-scanner' }),
      aHistoryEvent('203.0.113.9', NOW - 86400 * 2 + 600, {
        kind: 'expire',
        reason: 'expired',
        renewals: 7,
        lastSeen: NOW - 86400 * 2 + 500,
        expiresAt: null,
        samples: [],
      }),
      aHistoryEvent('198.51.100.7', NOW - 3600, {
        users: ['204'],
        userAgent: 'Yealink SIP-T46S',
        misconfiguredPhone: true,
        attempts: 12,
        country: 'GB',
        samples: ['REGISTER 204 → 401 Unauthorized', 'REGISTER 204 → 403 Forbidden'],
      }),
      aHistoryEvent('198.51.100.8', NOW - 1800, { userAgent: '=cmd|calc', note: '+SUM(A1)' }),
    ]);
    await store.upsertBlock(
      aBlock('198.51.100.7', {
        ...blockedAt(NOW - 3600),
        expiresAt: NOW + 300,
        users: ['204'],
        userAgent: 'Yealink SIP-T46S',
        misconfiguredPhone: true,
        attempts: 12,
        timesBlocked: 2,
      }),
    );
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists every event newest first, local time with the offset, relative times, who did it', async () => {
    const r = await run('history');
    assert.equal(r.code, EXIT.ok, r.err);
    const rows = r.out.split('\n').filter((l) => l.startsWith('| 20'));
    assert.equal(rows.length, 4);
    assert.match(rows[0]!, /198\.51\.100\.8/);
    assert.match(
      rows[1]!,
      /^\| 2027-01-15 \d\d:\d\d:\d\d \+01:00 \| 1 h ago +\| blocked +\| 198\.51\.100\.7 .*sipprotd@pbx1 .*GB/,
    );
    assert.match(rows[1]!, /misconfigured phone\?/);
    assert.match(rows[2]!, /47 h ago +\| expired +\| 203\.0\.113\.9 .*renewed 7×/);
    assert.match(rows[3]!, /2 days ago +\| blocked +\| 203\.0\.113\.9 /);
  });

  it('filters: an address, a network, since, reason, country, user agent, user, kind', async () => {
    const ips = async (...a: string[]) =>
      JSON.parse((await run('history', ...a, '--json')).out).events.map(
        (e: { subject: string }) => e.subject,
      );
    assert.deepEqual(await ips('203.0.113.9'), ['203.0.113.9', '203.0.113.9']);
    assert.deepEqual(await ips('198.51.100.0/24'), ['198.51.100.8', '198.51.100.7']);
    assert.deepEqual(await ips('--since', '1d'), ['198.51.100.8', '198.51.100.7']);
    assert.deepEqual(await ips('--until', '1d'), ['203.0.113.9', '203.0.113.9']);
    assert.deepEqual(await ips('--reason', 'scanner'), ['203.0.113.9']);
    assert.deepEqual(await ips('--country', 'gb'), ['198.51.100.7']);
    assert.deepEqual(await ips('--ua', 'yealink'), ['198.51.100.7']);
    assert.deepEqual(await ips('--user', '204'), ['198.51.100.7']);
    assert.deepEqual(await ips('--kind', 'expire'), ['203.0.113.9']);
    assert.deepEqual(await ips('--since', '2027-01-14'), ['198.51.100.8', '198.51.100.7']);
  });

  it('--limit pages; the last line says how to go on, and --page goes on', async () => {
    const r = await run('history', '--limit', '2');
    assert.equal(r.out.split('\n').filter((l) => l.startsWith('| 20')).length, 2);
    const more = /^more: sipprot history --limit 2 --page (\S+)$/m.exec(r.out);
    assert.ok(more, r.out);
    const r2 = await run('history', '--limit', '2', '--page', more[1]!);
    assert.equal(r2.out.split('\n').filter((l) => l.includes('203.0.113.9')).length, 2);
    assert.doesNotMatch(r2.out, /^more:/m);
  });

  it('--csv neutralises formulas; --json is the page', async () => {
    const csv = (await run('history', '198.51.100.8', '--csv')).out;
    assert.match(csv, /^time,epoch,kind,address/);
    assert.match(csv, /,'=cmd\|calc,/);
    assert.match(csv, /,'\+SUM\(A1\),/);
    const j = JSON.parse((await run('history', '--json', '--limit', '1')).out);
    assert.equal(j.events.length, 1);
    assert.equal(typeof j.next, 'string');
  });

  it('bad arguments are usage errors (exit 2) that name the fix', async () => {
    for (const [args, msg] of [
      [['not-an-ip'], /not an address or a CIDR network/],
      [['--since', 'yesterdayish'], /--since "yesterdayish": use a duration/],
      [['--until', '2027-02-30'], /--until "2027-02-30": use a duration/],
      [['--kind', 'blocks'], /--kind blocks: use block, /],
      [['--limit', '0'], /--limit 0: must be an integer/],
      [['--country', 'Netherlands'], /two-letter code/],
      [['--json', '--csv'], /choose one/],
      [['--page', 'garbage'], /not a history page token/],
    ] as const) {
      const r = await run('history', ...args);
      assert.equal(r.code, EXIT.usage, `${args.join(' ')}: ${r.err}`);
      assert.match(r.err, msg);
    }
  });

  it('check: when the block started, the evidence, the sample answers, the next commands, history', async () => {
    const r = await run('check', '198.51.100.7');
    assert.equal(r.code, EXIT.blocked);
    assert.match(r.out, /^198\.51\.100\.7: BLOCKED/);
    assert.match(r.out, /blocked since 2027-01-15 \d\d:\d\d:\d\d \+01:00 \(1 h ago\); lifts in 5m 0s/);
    assert.match(r.out, /blocked 2 times in all/);
    assert.match(r.out, /evidence: 12 attempts for user 204; user agent "Yealink SIP-T46S"/);
    assert.match(r.out, /REGISTER 204 → 401 Unauthorized\n\s+REGISTER 204 → 403 Forbidden/);
    assert.match(r.out, /misconfigured phone .* check the password of extension 204/);
    assert.match(
      r.out,
      /next:\n\s+sipprot unblock 198\.51\.100\.7 .*\n\s+sipprot allow add 198\.51\.100\.7 "phone of 204"/,
    );
    assert.match(
      r.out,
      /history \(newest first\):\n\s+2027-01-15 .*: blocked \(auth-failures\) by sipprotd@pbx1/,
    );
  });

  it('check of an address that was blocked once and is free now: not blocked, its history shown', async () => {
    const r = await run('check', '203.0.113.9');
    assert.equal(r.code, EXIT.ok);
    assert.doesNotMatch(r.out, /next:/);
    assert.match(r.out, /block expired, renewed 7× by sipprotd@pbx1/);
    assert.match(r.out, /2 days ago\): blocked \(scanner\)/);
  });

  it('unblock and list changes are in the history with who made them', async () => {
    assert.equal((await run('unblock', '198.51.100.7')).code, EXIT.ok);
    assert.equal((await run('deny', 'add', '192.0.2.0/24', 'abuse report 17')).code, EXIT.ok);
    const j = JSON.parse((await run('history', '--json', '--actor', 'cli')).out);
    assert.deepEqual(
      j.events.map((e: { kind: string; subject: string; note: string | null }) => [
        e.kind,
        e.subject,
        e.note,
      ]),
      [
        ['deny-add', '192.0.2.0/24', 'abuse report 17'],
        ['unblock', '198.51.100.7', null],
      ],
    );
  });
});
