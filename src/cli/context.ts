/**
 * What every command of `sipprot` gets: where to print, how to open the Admin for the
 * chosen --config, how to set the exit code; and the usage error they throw for a bad
 * command line (exit 2, printed as `error: ...`).
 */
import { type Command, CommanderError } from 'commander';
import type { Admin } from '../ports/admin.js';
import { EXIT } from './exit-codes.js';
import type { Io } from './output.js';

export interface CliContext {
  io: Io;
  /** `readOnly`: the command changes nothing (no state database is created for it). */
  admin(cmd: Command, opts?: { readOnly?: boolean }): Promise<Admin>;
  setExit(code: number): void;
  /** Asks the user yes/no on the terminal; absent when stdin is not a TTY (scripts pass --yes). */
  confirm?: (question: string) => Promise<boolean>;
  /**
   * Where the user sits: the SSH client address of this shell ($SSH_CLIENT), which the
   * lock-out guard protects like a web admin's address; null on the console.
   */
  requester: string | null;
  /** Epoch seconds (relative times: "3 min ago"). */
  clock(): number;
}

export function usage(message: string): Error {
  return new CommanderError(EXIT.usage, 'sipprot.usage', message);
}
