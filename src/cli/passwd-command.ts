/**
 * `sipprot passwd`: sets the web UI's admin password in the store (root only: the store
 * lives in STATE_DIR). Works whether the daemon runs or not; sessions opened with the old
 * password end at their next request.
 */
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import type { Command } from 'commander';
import { SipprotError } from '../core/errors.js';
import {
  generatePassword,
  MIN_PASSWORD_LENGTH,
  passwordProblem,
  setAdminPassword,
} from '../platform/admin-password.js';
import type { Store } from '../ports/store.js';
import type { CliContext } from './program.js';

export interface PasswdDeps {
  /** Opens the store of the config the command was given (`--config`). */
  openStore(cmd: Command): Promise<Store>;
  /** Reads a secret without echo (default: the terminal); tests pass their own. */
  readSecret?(prompt: string): Promise<string>;
  /** Reads all of standard input (default: process.stdin). */
  readStdin?(): Promise<string>;
  /** Whether standard input is a terminal (default: process.stdin.isTTY). */
  isTty?(): boolean;
}

export function registerPasswdCommand(program: Command, ctx: CliContext, deps: PasswdDeps): void {
  program
    .command('passwd')
    .description('set the web UI admin password')
    .option('--stdin', 'read the new password from the first line of standard input')
    .option('--generate', 'generate a random password and print it')
    .addHelpText(
      'after',
      `\nThe password needs at least ${MIN_PASSWORD_LENGTH} characters. Without options it is asked for twice on the terminal.`,
    )
    .action(async (o: { stdin?: boolean; generate?: boolean }, cmd: Command) => {
      if (o.stdin && o.generate) throw new SipprotError('SP_ERR_USAGE', 'use either --stdin or --generate');
      const password = o.generate
        ? generatePassword()
        : o.stdin
          ? await fromStdin(deps)
          : await fromTerminal(deps);
      const problem = passwordProblem(password);
      if (problem) throw new SipprotError('SP_ERR_USAGE', problem);
      const store = await deps.openStore(cmd);
      try {
        await setAdminPassword(store, password);
      } finally {
        await store.close();
      }
      if (o.generate) ctx.io.out(`${password}\n`);
      ctx.io.err('admin password set; web sessions opened with the old password are closed\n');
    });
}

async function fromStdin(deps: PasswdDeps): Promise<string> {
  const text = await (deps.readStdin ?? readAllStdin)();
  return (text.split(/\r?\n/)[0] ?? '').trimEnd();
}

async function fromTerminal(deps: PasswdDeps): Promise<string> {
  const tty = deps.isTty ? deps.isTty() : Boolean(process.stdin.isTTY);
  if (!tty) {
    throw new SipprotError(
      'SP_ERR_USAGE',
      'standard input is not a terminal: use --stdin (password on the first line) or --generate',
    );
  }
  const read = deps.readSecret ?? readHidden;
  const first = await read('New admin password: ');
  const problem = passwordProblem(first);
  if (problem) throw new SipprotError('SP_ERR_USAGE', problem);
  const second = await read('Repeat it: ');
  if (first !== second) throw new SipprotError('SP_ERR_USAGE', 'the two passwords differ; nothing changed');
  return first;
}

async function readAllStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** A terminal prompt that echoes nothing of what is typed. */
function readHidden(prompt: string): Promise<string> {
  process.stderr.write(prompt);
  const silent = new Writable({ write: (_chunk, _enc, cb) => cb() });
  const rl = createInterface({ input: process.stdin, output: silent, terminal: true });
  return new Promise((resolve) => {
    rl.question('', (answer) => {
      rl.close();
      process.stderr.write('\n');
      resolve(answer);
    });
  });
}
