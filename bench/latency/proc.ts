/**
 * Processes of the latency benchmark: every one is started here with an argument array
 * (no shell), remembered by PID, and stopped by that PID (never by name), also when the
 * benchmark fails or is interrupted.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';

export interface Started {
  name: string;
  pid: number;
  child: ChildProcess;
  exited: Promise<number | null>;
  /** Set once the process has exited. */
  done: boolean;
}

const live = new Map<number, Started>();

/**
 * Starts `cmd args` in network namespace `ns` (ip netns exec execs: the PID is cmd's),
 * output to `log`, or stdout line by line to `onLine` with the wall time it was read (s);
 * `env` adds variables to this process's environment.
 */
export function startIn(
  ns: string,
  name: string,
  cmd: string,
  args: string[],
  log: string,
  onLine?: (line: string, at: number) => void,
  env?: NodeJS.ProcessEnv,
): Started {
  const fd = openSync(log, 'a');
  const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], {
    stdio: ['ignore', onLine ? 'pipe' : fd, fd],
    env: env ? { ...process.env, ...env } : process.env,
  });
  closeSync(fd);
  if (onLine && child.stdout) {
    let rest = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      const at = (performance.timeOrigin + performance.now()) / 1000;
      const lines = (rest + chunk).split('\n');
      rest = lines.pop() ?? '';
      for (const l of lines) onLine(l, at);
    });
  }
  if (child.pid === undefined) throw new Error(`could not start ${name}`);
  const s: Started = { name, pid: child.pid, child, exited: Promise.resolve(null), done: false };
  s.exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      s.done = true;
      live.delete(s.pid);
      resolve(code);
    }),
  );
  live.set(child.pid, s);
  return s;
}

/** Signals the process; waits up to `waitMs` for it to exit, then SIGKILL. */
export async function stop(s: Started, signal: NodeJS.Signals = 'SIGTERM', waitMs = 5000): Promise<void> {
  if (s.done) return;
  try {
    process.kill(s.pid, signal);
  } catch {
    return;
  }
  const timer = new Promise<'late'>((r) => setTimeout(() => r('late'), waitMs).unref());
  if ((await Promise.race([s.exited, timer])) === 'late') {
    try {
      process.kill(s.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    await s.exited;
  }
}

export async function stopAll(): Promise<void> {
  await Promise.all([...live.values()].map((s) => stop(s, 'SIGTERM', 3000)));
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion (bounded by `timeoutMs`), never throwing on a non-zero exit. */
export function run(
  cmd: string,
  args: string[],
  opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      { timeout: Math.ceil(opts.timeoutMs ?? 60_000), env: opts.env ?? process.env, maxBuffer: 1 << 24 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

/** Polls `check` every 50 ms until it is true; throws after `timeoutMs`. */
export async function waitFor(
  what: string,
  timeoutMs: number,
  check: () => boolean | Promise<boolean>,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await sleep(50);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
