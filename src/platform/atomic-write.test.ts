/**
 * Atomic replace: mode and owner kept, symlinks followed, no temp file left, the caller's
 * error code on failure, and a writer killed with SIGKILL mid-write never leaves a torn file.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseListFile } from '../core/lists/lists.js';
import { writeFileAtomic } from './atomic-write.js';

let root: string;
before(() => {
  root = mkdtempSync(join(tmpdir(), 'sipprot-atomic-'));
});
after(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
function fresh(): { dir: string } {
  const dir = join(root, `case${n++}`);
  mkdirSync(dir);
  return { dir };
}

describe('writeFileAtomic', () => {
  it('leaves no temp file, keeps the mode, writes through a symlink', async () => {
    const { dir } = fresh();
    const real = join(dir, 'real.list');
    writeFileSync(real, 'old\n');
    chmodSync(real, 0o640);
    const link = join(dir, 'link.list');
    symlinkSync(real, link);
    await writeFileAtomic(link, 'new\n', { code: 'SP_ERR_LIST_IO' });
    assert.equal(readFileSync(real, 'utf8'), 'new\n');
    assert.equal(statSync(real).mode & 0o777, 0o640);
    assert.ok(statSync(link).isFile());
    assert.deepEqual(readdirSync(dir).sort(), ['link.list', 'real.list']);
    await writeFileAtomic(join(dir, 'sub', 'created.list'), 'x\n', { mode: 0o600, code: 'SP_ERR_LIST_IO' });
    assert.equal(statSync(join(dir, 'sub', 'created.list')).mode & 0o777, 0o600);
  });

  it("a failed write reports the caller's code with the errno error as cause, and leaves the old file", async () => {
    const { dir } = fresh();
    const file = join(dir, 'x.list');
    writeFileSync(file, 'keep\n');
    // A directory where the file should be: rename over it fails.
    const blocked = join(dir, 'isdir');
    mkdirSync(blocked);
    writeFileSync(join(blocked, 'inner'), '');
    await assert.rejects(writeFileAtomic(blocked, 'data', { code: 'SP_ERR_LIST_IO' }), {
      code: 'SP_ERR_LIST_IO',
      message: /isdir/,
    });
    await assert.rejects(writeFileAtomic(blocked, 'data', { code: 'SP_ERR_CONFIG_IO' }), (e: Error) => {
      assert.equal((e as Error & { code: string }).code, 'SP_ERR_CONFIG_IO');
      assert.equal((e as Error & { cause: { code: string } }).cause.code, 'EISDIR');
      return true;
    });
    assert.equal(readFileSync(file, 'utf8'), 'keep\n');
    assert.deepEqual(readdirSync(dir).sort(), ['isdir', 'x.list']);
  });

  it('a writer killed with SIGKILL at random moments never leaves a torn list', async () => {
    const { dir } = fresh();
    const file = join(dir, 'crash.list');
    // The body is built once so that each loop round is mostly writing: a kill then
    // lands mid-write, which is when a non-atomic writer leaves a torn file.
    const makeBody = () =>
      Array.from({ length: 20_000 }, (_, i) => `10.${(i >> 8) & 255}.${i & 255}.1 note ${i}`).join('\n');
    await writeFileAtomic(file, `${makeBody()}\n# complete v0\n`, { code: 'SP_ERR_LIST_IO' });
    const script = `
      import { writeFileAtomic } from ${JSON.stringify(join(import.meta.dirname, 'atomic-write.ts'))};
      const body = (${makeBody.toString()})();
      for (let v = 1; v < 100000; v++) {
        await writeFileAtomic(${JSON.stringify(file)}, body + '\\n# complete v' + v + '\\n', { code: 'SP_ERR_LIST_IO' });
        if (v === 1) process.stdout.write('ready\\n');
      }
    `;
    const versions: number[] = [];
    for (let round = 0; round < 5; round++) {
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        stdio: ['ignore', 'pipe', 'inherit'],
        cwd: join(import.meta.dirname, '..', '..'),
      });
      // Kill it at a different moment of its write loop each round, once it is writing.
      await new Promise((r) => child.stdout!.once('data', r));
      await new Promise((r) => setTimeout(r, 30 + round * 70));
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      const text = readFileSync(file, 'utf8');
      const m = /# complete v(\d+)\n$/.exec(text);
      assert.ok(m, `round ${round}: the list ends torn`);
      versions.push(Number(m[1]));
      const parsed = parseListFile(text);
      assert.equal(parsed.errors.length, 0);
      assert.equal(parsed.entries.length, 20_000);
      assert.equal(parsed.entries.at(-1)?.note, 'note 19999');
    }
    // The writers got far enough to be killed mid-series (not before their first write).
    assert.ok(
      versions.some((v) => v > 1),
      `versions seen: ${versions}`,
    );
    console.log(`# crash rounds saw versions ${versions.join(',')}`);
  });
});
