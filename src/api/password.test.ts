import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Command } from 'commander';
import type { CliContext } from '../cli/program.js';
import { FakeStore } from '../store/store.fake.js';
import { registerPasswdCommand } from './passwd-command.js';
import {
  ensureAdminPassword,
  GENERATED_KEY,
  generatePassword,
  hashPassword,
  PASSWORD_KEY,
  passwordProblem,
  setAdminPassword,
  verifyPassword,
} from './password.js';

describe('password hashing', () => {
  test('scrypt hash verifies the right password only, and is salted', async () => {
    const a = await hashPassword('correct horse battery');
    const b = await hashPassword('correct horse battery');
    assert.match(a, /^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    assert.notEqual(a, b);
    assert.equal(await verifyPassword('correct horse battery', a), true);
    assert.equal(await verifyPassword('correct horse batterY', a), false);
    assert.equal(await verifyPassword('', a), false);
  });

  test('an unreadable or hostile hash never verifies and never throws', async () => {
    for (const h of [
      '',
      'plain',
      'scrypt$1$1$1$x$y',
      'scrypt$99999999$8$1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAA',
      'bcrypt$x',
    ]) {
      assert.equal(await verifyPassword('x', h), false, h);
    }
  });

  test('rules for a new password', () => {
    assert.match(passwordProblem('short')!, /at least 10/);
    assert.match(passwordProblem('long enough\nbut')!, /control/);
    assert.equal(passwordProblem('long enough pass'), null);
    const g = generatePassword();
    assert.equal(g.length, 20);
    assert.match(g, /^[a-km-zA-HJ-NP-Z2-9]+$/);
    assert.notEqual(g, generatePassword());
  });
});

describe('ensureAdminPassword', () => {
  test('first start: generates, stores only the hash, logs the password once', async () => {
    const store = new FakeStore();
    const logs: string[] = [];
    const log = { warn: (_o: object, msg: string) => logs.push(msg) };
    const pw = await ensureAdminPassword(store, log);
    assert.ok(pw);
    const stored = (await store.getSetting(PASSWORD_KEY))!;
    assert.ok(!stored.includes(pw));
    assert.equal(await verifyPassword(pw, stored), true);
    assert.equal(await store.getSetting(GENERATED_KEY), '1');
    assert.equal(logs.length, 1);
    assert.match(logs[0]!, new RegExp(pw));
    assert.match(logs[0]!, /sipprot passwd/);
    // Second start: nothing generated, nothing logged.
    assert.equal(await ensureAdminPassword(store, log), null);
    assert.equal(logs.length, 1);
    // Setting one by hand clears the "generated" mark.
    await setAdminPassword(store, 'chosen by the admin');
    assert.equal(await store.getSetting(GENERATED_KEY), null);
  });
});

function cli(store: FakeStore, extra: Partial<Parameters<typeof registerPasswdCommand>[2]> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const ctx: CliContext = {
    io: { out: (s) => out.push(s), err: (s) => err.push(s) },
    admin: async () => {
      throw new Error('not used');
    },
    setExit: () => {},
  };
  let closed = 0;
  const program = new Command('sipprot').exitOverride();
  registerPasswdCommand(program, ctx, {
    openStore: async () => {
      // The command closes the store it opened; the test keeps reading this one.
      return Object.assign(Object.create(store), {
        close: async () => {
          closed++;
        },
      });
    },
    ...extra,
  });
  return { program, out, err, closed: () => closed };
}

describe('sipprot passwd', () => {
  test('--stdin sets the password from the first line', async () => {
    const store = new FakeStore();
    const c = cli(store, { readStdin: async () => 'from stdin 12345\nignored\n' });
    await c.program.parseAsync(['passwd', '--stdin'], { from: 'user' });
    assert.equal(await verifyPassword('from stdin 12345', (await store.getSetting(PASSWORD_KEY))!), true);
    assert.match(c.err.join(''), /admin password set/);
    assert.equal(c.out.join(''), '', 'the password is not echoed');
    assert.equal(c.closed(), 1);
  });

  test('terminal: asks twice; a mismatch changes nothing', async () => {
    const store = new FakeStore();
    const answers = ['first answer 123', 'second answer 12'];
    const c = cli(store, { isTty: () => true, readSecret: async () => answers.shift()! });
    await assert.rejects(c.program.parseAsync(['passwd'], { from: 'user' }), /differ/);
    assert.equal(await store.getSetting(PASSWORD_KEY), null);
    const ok = cli(store, { isTty: () => true, readSecret: async () => 'same twice 12345' });
    await ok.program.parseAsync(['passwd'], { from: 'user' });
    assert.equal(await verifyPassword('same twice 12345', (await store.getSetting(PASSWORD_KEY))!), true);
  });

  test('no terminal and no option: a usage error saying what to do', async () => {
    const c = cli(new FakeStore(), { isTty: () => false });
    await assert.rejects(c.program.parseAsync(['passwd'], { from: 'user' }), /--stdin/);
  });

  test('--generate prints a new password that works', async () => {
    const store = new FakeStore();
    const c = cli(store);
    await c.program.parseAsync(['passwd', '--generate'], { from: 'user' });
    const pw = c.out.join('').trim();
    assert.equal(pw.length, 20);
    assert.equal(await verifyPassword(pw, (await store.getSetting(PASSWORD_KEY))!), true);
  });

  test('too short: refused before the store is opened', async () => {
    const c = cli(new FakeStore(), { readStdin: async () => 'short\n' });
    await assert.rejects(c.program.parseAsync(['passwd', '--stdin'], { from: 'user' }), /at least 10/);
    assert.equal(c.closed(), 0);
  });
});
