/**
 * The README's first command, run as a new admin runs it: `bash scripts/demo.sh` (root;
 * the lab in network namespaces of its own, cleaned up by the script). It must end with
 * exit 0 and its verdict line, so the demo cannot rot silently again: its checks once read
 * the daemon's log as JSON after the log became readable text, and every attack "was not
 * blocked" while the kernel dropped them all. ~60 s.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { labUnavailable } from '../lab/lab.testkit.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

test('bash scripts/demo.sh: every attacker cut off, no phone blocked, exit 0', async () => {
  const why = labUnavailable();
  assert.equal(why, null, `cannot run the SIP lab: ${why}`);
  const r = await new Promise<{ code: number; out: string }>((resolve) =>
    execFile(
      'bash',
      [join(ROOT, 'scripts/demo.sh')],
      { cwd: ROOT, timeout: 300_000, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, NO_COLOR: '1' } },
      (err, stdout, stderr) =>
        resolve({
          code: err ? Number((err as NodeJS.ErrnoException).code) || 1 : 0,
          out: `${stdout}${stderr}`,
        }),
    ),
  );
  const failed = r.out.split('\n').filter((l) => l.includes('✘'));
  assert.equal(r.code, 0, `${failed.join('\n')}\n${r.out.slice(-3000)}`);
  assert.match(r.out, /Result: every attacker was cut off; no phone was blocked\./);
  assert.doesNotMatch(r.out, /✘/, 'no check failed');
  for (const what of [/blocked at its first packet: reason scanner/, /blocked: reason auth-failures/])
    assert.match(r.out, what);
});
