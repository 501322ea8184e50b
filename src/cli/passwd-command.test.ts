/** `sipprot passwd`: stdin, terminal (asked twice), --generate, refusals. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Command } from 'commander';
import { PASSWORD_KEY, verifyPassword } from '../platform/admin-password.js';
import { FakeStore } from '../store/store.fake.js';
import { registerPasswdCommand } from './passwd-command.js';
import type { CliContext } from './program.js';

function cli(store: FakeStore, extra: Partial<Parameters<typeof registerPasswdCommand>[2]> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const ctx: CliContext = {
    io: { out: (s) => out.push(s), err: (s) => err.push(s) },
    admin: async () => {
      throw new Error('not used');
    },
    setExit: () => {},
    clock: () => 1_800_000_000,
    requester: null,
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
