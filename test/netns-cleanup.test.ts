/**
 * The namespace helper cleans up what a test leaves inside: a process that is not one of
 * its own children (a daemon's helper orphaned when the daemon was killed with SIGKILL)
 * is killed by PID when the namespace is destroyed, not left running in a deleted one.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { Netns } from './netns.testkit.js';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('Netns.destroy', () => {
  it('kills a process left inside that it did not start itself', async () => {
    const ns = await Netns.create('cleanup');
    // Detached, and not through ns.spawn: the helper does not know this process.
    const p = spawn('ip', ['netns', 'exec', ns.name, 'sleep', '60'], { detached: true, stdio: 'ignore' });
    p.unref();
    const pid = p.pid!;
    for (let i = 0; i < 50 && (await ns.exec(['ip', 'netns', 'pids', ns.name])).stdout.trim() === ''; i++)
      await new Promise((r) => setTimeout(r, 20));
    assert.ok(alive(pid), 'the process runs inside');
    await ns.destroy();
    for (let i = 0; i < 50 && alive(pid); i++) await new Promise((r) => setTimeout(r, 20));
    // A zombie until reaped by us: waitpid happens through the ChildProcess 'exit'.
    const exited = await new Promise<boolean>((resolve) => {
      if (p.exitCode !== null || p.signalCode !== null) return resolve(true);
      p.once('exit', () => resolve(true));
      setTimeout(() => resolve(false), 2000);
    });
    assert.ok(exited, 'the process left inside is killed');
  });
});
