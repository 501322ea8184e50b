/**
 * The installed commands (bin/sipprot.js, bin/sipprotd.js) used the way admins use them:
 * piped into `head` or `grep -q`, which close the pipe early. Node turns the closed pipe
 * into an EPIPE error on stdout; unhandled, that printed a stack trace and exit 1 for
 * `sipprot --help | head -3`. The reader closes its end here before the command writes.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/', import.meta.url));

function closedPipe(cmd: string, args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [`${BIN}${cmd}.js`, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += String(d);
    });
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

for (const cmd of ['sipprot', 'sipprotd']) {
  test(`${cmd} --help into a closed pipe ends quietly with exit 0`, async () => {
    const r = await closedPipe(cmd, ['--help']);
    assert.equal(r.stderr, '');
    assert.equal(r.code, 0);
  });
}
