import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { defaultConfig } from '../core/config/parse.js';
import { aDecision, anAttack } from '../core/records.testkit.js';
import type { Config } from '../core/types.js';
import { localCalendar } from '../notify/calendar.js';
import { SmtpPeer } from '../notify/smtp-peer.testkit.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { registerNotifyCommands } from './notify-commands.js';
import { runCli } from './program.js';

let dir: string;
let peer: SmtpPeer;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sipprot-notify-cli-'));
  peer = await SmtpPeer.start({ users: { alerts: 's3cret' } });
});
after(async () => {
  await peer.close();
  await rm(dir, { recursive: true, force: true });
});

function config(over: Partial<Config['smtp']> = {}, stateDir = dir): Config {
  const c = defaultConfig(null, dir);
  return {
    ...c,
    stateDir,
    smtp: {
      host: '127.0.0.1',
      port: peer.port,
      user: 'alerts',
      password: 's3cret',
      from: 'sipprot@pbx.example',
      tls: 'none',
      ...over,
    },
  };
}

/** Runs `sipprot ARGS` in-process against a SQLite store in the temp dir. */
async function sipprot(args: string[], cfg: Config = config()) {
  let out = '';
  let err = '';
  const code = await runCli(args, {
    io: {
      out: (s) => {
        out += s;
      },
      err: (s) => {
        err += s;
      },
    },
    admin: async () => {
      throw new Error('the notify commands must not need the admin backend');
    },
    extensions: [
      (program, ctx) =>
        registerNotifyCommands(program, ctx, {
          loadConfig: () => cfg,
          openStore: (c) => SqliteStore.open(c.stateDir),
          clock: () => localCalendar.at('2024-05-02', '12:00'),
          hostname: 'pbx1',
        }),
    ],
  });
  return { code, out, err };
}

describe('sipprot recipients', () => {
  test('add, list, rename, remove', async () => {
    assert.equal(
      (await sipprot(['recipients', 'add', 'ops@pbx.example', 'Night', 'Shift'])).out,
      'added ops@pbx.example\n',
    );
    assert.equal((await sipprot(['recipients', 'add', 'boss@pbx.example'])).code, 0);
    const renamed = await sipprot(['recipients', 'add', 'OPS@pbx.example', 'Ops']);
    assert.match(renamed.out, /already a recipient; name updated/);
    const list = await sipprot(['recipients', 'list', '--json']);
    assert.deepEqual(JSON.parse(list.out), [
      { email: 'ops@pbx.example', name: 'Ops' },
      { email: 'boss@pbx.example', name: null },
    ]);
    assert.match((await sipprot(['recipients', 'list'])).out, /\| ops@pbx\.example\s+\| Ops\s+\|/);
    assert.equal((await sipprot(['recipients', 'remove', 'boss@pbx.example'])).code, 0);
    const missing = await sipprot(['recipients', 'remove', 'boss@pbx.example']);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /not a recipient: boss@pbx\.example/);
  });

  test('a malformed address is refused with exit code 2', async () => {
    const r = await sipprot(['recipients', 'add', 'not an address']);
    assert.equal(r.code, 2);
    assert.match(r.err, /not a valid e-mail address: "not an address"/);
  });
});

describe('sipprot notify test', () => {
  test('passes every step and the mail arrives', async () => {
    await sipprot(['recipients', 'add', 'ops@pbx.example']);
    const before = peer.mails.length;
    const r = await sipprot(['notify', 'test']);
    assert.equal(r.code, 0, r.err);
    assert.equal(
      r.out,
      'connect: ok\nlogin: ok\nsender accepted: ok\nrecipients accepted: ok\nmessage accepted: ok\n' +
        `test mail sent through 127.0.0.1:${peer.port} to ops@pbx.example\n`,
    );
    const mails = await peer.waitForMails(before + 1);
    assert.equal(mails.at(-1)?.subject, 'sipprot test mail');
  });

  test('a wrong password: the login step fails, exit 1', async () => {
    const r = await sipprot(['notify', 'test', '--to', 'x@pbx.example'], config({ password: 'nope' }));
    assert.equal(r.code, 1);
    assert.equal(r.out, 'connect: ok\nlogin: FAILED\n');
    assert.match(r.err, /SMTP auth failed: .*rejected the login of user "alerts"/);
    const j = await sipprot(
      ['notify', 'test', '--to', 'x@pbx.example', '--json'],
      config({ password: 'nope' }),
    );
    assert.equal(JSON.parse(j.out).step, 'auth');
  });

  test('no SMTP_HOST, no recipients, a bad --to', async () => {
    const none = await sipprot(['notify', 'test'], config({ host: null }));
    assert.equal(none.code, 1);
    assert.match(none.err, /no mail: SMTP_HOST is not set/);
    const empty = await mkdtemp(join(dir, 'empty-'));
    const nobody = await sipprot(['notify', 'test'], config({}, empty));
    assert.equal(nobody.code, 2);
    assert.match(nobody.err, /no notification recipients/);
    assert.equal((await sipprot(['notify', 'test', '--to', 'bad'])).code, 2);
  });
});

describe('sipprot report', () => {
  test('prints the report of a day from the store, as text, HTML or JSON', async () => {
    const stateDir = await mkdtemp(join(dir, 'report-'));
    const store = SqliteStore.open(stateDir);
    const at = localCalendar.at('2024-05-01', '10:00');
    await store.recordAttack(
      anAttack('203.0.113.7', at, { rule: 'scanner', userAgent: '<sipvicious>', country: 'NL' }),
    );
    await store.recordDecision(aDecision('203.0.113.7', at, { reason: 'scanner', country: 'NL' }));
    await store.recordAttack(
      anAttack('192.0.2.5', localCalendar.at('2024-05-02', '09:00'), { rule: 'enumeration' }),
    );
    await store.close();
    const cfg = config({}, stateDir);

    const day = await sipprot(['report', '--date', '2024-05-01'], cfg);
    assert.equal(day.code, 0, day.err);
    assert.match(day.out, /^sipprot attack report on pbx1: 2024-05-01\n/);
    assert.match(day.out, /203\.0\.113\.7 +\| +Netherlands \(NL\)/);
    assert.doesNotMatch(day.out, /192\.0\.2\.5/);

    const today = await sipprot(['report'], cfg);
    assert.match(today.out, /2024-05-02 \(so far\)/);
    assert.match(today.out, /192\.0\.2\.5/);
    assert.match(today.out, /Attacks detected +\| +1 +\| +1 +\| +=/);

    const html = await sipprot(['report', '--date', '2024-05-01', '--html'], cfg);
    assert.match(html.out, /^<!DOCTYPE html>/);
    assert.match(html.out, /&lt;sipvicious&gt;/);

    const j = JSON.parse((await sipprot(['report', '--date', '2024-05-01', '--json'], cfg)).out);
    assert.equal(j.topAttackers[0].ip, '203.0.113.7');
    assert.equal(j.period.label, '2024-05-01');

    const bad = await sipprot(['report', '--date', '2024-02-30'], cfg);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--date must be a calendar date YYYY-MM-DD/);
  });
});
