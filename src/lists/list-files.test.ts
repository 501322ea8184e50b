import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
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
import { ListFiles, writeFileAtomic } from './list-files.js';

let root: string;
before(() => {
  root = mkdtempSync(join(tmpdir(), 'sipprot-lists-'));
});
after(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
function fresh(): { dir: string; files: ListFiles; allow: string; deny: string } {
  const dir = join(root, `case${n++}`);
  mkdirSync(dir);
  const allow = join(dir, 'sipprot.allowlist');
  const deny = join(dir, 'sipprot.denylist');
  return { dir, files: new ListFiles({ allow, deny }, { lockWaitMs: 300 }), allow, deny };
}

describe('ListFiles', () => {
  it('a missing file reads as an empty list; the first add creates it with a header', () => {
    const { files, deny } = fresh();
    assert.deepEqual(files.read('deny'), []);
    assert.deepEqual(files.readDetailed('deny'), { entries: [], errors: [] });
    const r = files.add('deny', [{ network: '192.0.2.0/24', note: 'bad net' }]);
    assert.deepEqual(r, { added: [{ network: '192.0.2.0/24', note: 'bad net' }], updated: [] });
    const text = readFileSync(deny, 'utf8');
    assert.match(text, /^# sipprot deny list/);
    assert.ok(text.endsWith('192.0.2.0/24 bad net\n'));
    assert.deepEqual(files.read('deny'), [{ network: '192.0.2.0/24', note: 'bad net' }]);
    assert.deepEqual(files.read('allow'), []);
  });

  it('keeps comments, blank lines, trailing comments and unparseable lines when rewriting', () => {
    const { files, allow } = fresh();
    const original = [
      '# One IP Address per line',
      '192.168.2.1',
      '',
      '192.168.2.2 desk phone # added 2019',
      'not-an-address  # kept as is',
      '# end',
    ].join('\n');
    writeFileSync(allow, `${original}\n`);
    assert.equal(files.readDetailed('allow').errors.length, 1);
    const r = files.add('allow', [
      { network: '192.168.2.2', note: 'reception phone' },
      { network: '2001:db8::/48', note: 'v6 office' },
      { network: '192.168.2.1/32', note: '' },
    ]);
    assert.deepEqual(r.added, [{ network: '2001:db8::/48', note: 'v6 office' }]);
    assert.deepEqual(r.updated, [{ network: '192.168.2.2', note: 'reception phone' }]);
    assert.equal(
      readFileSync(allow, 'utf8'),
      [
        '# One IP Address per line',
        '192.168.2.1',
        '',
        '192.168.2.2 reception phone # added 2019',
        'not-an-address  # kept as is',
        '# end',
        '2001:db8::/48 v6 office',
        '',
      ].join('\n'),
    );
  });

  it('adding what is already there with the same or no note changes nothing on disk', () => {
    const { files, deny } = fresh();
    files.add('deny', [{ network: '198.51.100.7', note: 'x' }]);
    const before = readFileSync(deny, 'utf8');
    const mtime = statSync(deny).mtimeMs;
    assert.deepEqual(files.add('deny', [{ network: '198.51.100.7/32', note: '' }]), {
      added: [],
      updated: [],
    });
    assert.deepEqual(files.add('deny', [{ network: '198.51.100.7', note: 'x' }]), { added: [], updated: [] });
    assert.equal(readFileSync(deny, 'utf8'), before);
    assert.equal(statSync(deny).mtimeMs, mtime);
  });

  it('an invalid address fails the whole add, naming it, and writes nothing', () => {
    const { files, deny } = fresh();
    files.add('deny', [{ network: '203.0.113.1', note: '' }]);
    const before = readFileSync(deny, 'utf8');
    assert.throws(
      () =>
        files.add('deny', [
          { network: '203.0.113.2', note: '' },
          { network: '203.0.113.300', note: '' },
          { network: '10.1.2.3/8', note: '' },
        ]),
      (e: Error & { code?: string }) =>
        e.code === 'SP_ERR_ADDRESS_INVALID' &&
        e.message.includes('203.0.113.300') &&
        e.message.includes('10.0.0.0/8'),
    );
    assert.equal(readFileSync(deny, 'utf8'), before);
    assert.throws(() => files.remove('deny', ['nope']), { code: 'SP_ERR_ADDRESS_INVALID', message: /nope/ });
  });

  it('removes one or many (every duplicate line), reports the missing ones, and removeAll keeps comments', () => {
    const { files, deny } = fresh();
    writeFileSync(deny, '# keep me\n192.0.2.1 a\n192.0.2.2 b\n192.0.2.1/32 dup\n2001:db8::1\n');
    const r = files.remove('deny', ['192.0.2.1', '::ffff:192.0.2.2', '192.0.2.99', '192.0.2.1']);
    assert.deepEqual(r, { removed: ['192.0.2.1', '192.0.2.2'], missing: ['192.0.2.99'] });
    assert.equal(readFileSync(deny, 'utf8'), '# keep me\n2001:db8::1\n');
    const before = readFileSync(deny, 'utf8');
    assert.deepEqual(files.remove('deny', ['198.51.100.1']), { removed: [], missing: ['198.51.100.1'] });
    assert.equal(readFileSync(deny, 'utf8'), before);
    assert.deepEqual(files.removeAll('deny'), { removed: ['2001:db8::1'], missing: [] });
    assert.equal(readFileSync(deny, 'utf8'), '# keep me\n');
    assert.deepEqual(files.read('deny'), []);
  });

  it('an import with errors applies nothing (file byte-identical) and reports every bad line', () => {
    const { files, allow } = fresh();
    writeFileSync(allow, '# mine\r\n192.0.2.1 old note\r\n');
    const before = readFileSync(allow);
    const csv =
      'network,note\n192.0.2.5,good\nbad-one,x\n198.51.100.0/24,"net, with comma"\n10.0.0.1/8,host bits\n';
    const r = files.importCsv('allow', csv, { skipInvalid: false });
    assert.equal(r.applied, false);
    assert.deepEqual(r.added, []);
    assert.deepEqual(
      r.errors.map((e) => e.line),
      [3, 5],
    );
    assert.deepEqual(readFileSync(allow), before);

    const ok = files.importCsv('allow', csv, { skipInvalid: true });
    assert.equal(ok.applied, true);
    assert.deepEqual(
      ok.added.map((e) => e.network),
      ['192.0.2.5', '198.51.100.0/24'],
    );
    assert.deepEqual(
      ok.errors.map((e) => e.line),
      [3, 5],
    );
    assert.deepEqual(files.read('allow'), [
      { network: '192.0.2.1', note: 'old note' },
      { network: '192.0.2.5', note: 'good' },
      { network: '198.51.100.0/24', note: 'net, with comma' },
    ]);
  });

  it('a clean import applies; export gives CSV that imports back to the same list', () => {
    const a = fresh();
    const r = a.files.importCsv('deny', '192.0.2.7,"say ""hi"""\r\n2001:db8::/32,\r\n');
    assert.equal(r.applied, true);
    assert.equal(r.added.length, 2);
    const csv = a.files.exportCsv('deny');
    assert.ok(csv.startsWith('network,note\r\n'));
    const b = fresh();
    b.files.importCsv('deny', csv);
    assert.deepEqual(b.files.read('deny'), a.files.read('deny'));
    assert.deepEqual(a.files.read('deny'), [
      { network: '192.0.2.7', note: 'say "hi"' },
      { network: '2001:db8::/32', note: '' },
    ]);
  });
});

describe('writeFileAtomic', () => {
  it('leaves no temp file, keeps the mode, writes through a symlink', () => {
    const { dir } = fresh();
    const real = join(dir, 'real.list');
    writeFileSync(real, 'old\n');
    chmodSync(real, 0o640);
    const link = join(dir, 'link.list');
    symlinkSync(real, link);
    writeFileAtomic(link, 'new\n');
    assert.equal(readFileSync(real, 'utf8'), 'new\n');
    assert.equal(statSync(real).mode & 0o777, 0o640);
    assert.ok(statSync(link).isFile());
    assert.deepEqual(readdirSync(dir).sort(), ['link.list', 'real.list']);
    writeFileAtomic(join(dir, 'sub', 'created.list'), 'x\n', { mode: 0o600 });
    assert.equal(statSync(join(dir, 'sub', 'created.list')).mode & 0o777, 0o600);
  });

  it('a failed write reports SP_ERR_LIST_IO and leaves the old file', () => {
    const { dir } = fresh();
    const file = join(dir, 'x.list');
    writeFileSync(file, 'keep\n');
    // A directory where the file should be: rename over it fails.
    const blocked = join(dir, 'isdir');
    mkdirSync(blocked);
    writeFileSync(join(blocked, 'inner'), '');
    assert.throws(() => writeFileAtomic(blocked, 'data'), { code: 'SP_ERR_LIST_IO', message: /isdir/ });
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
    writeFileAtomic(file, `${makeBody()}\n# complete v0\n`);
    const script = `
      import { writeFileAtomic } from ${JSON.stringify(join(import.meta.dirname, 'list-files.ts'))};
      const body = (${makeBody.toString()})();
      for (let v = 1; v < 100000; v++) {
        writeFileAtomic(${JSON.stringify(file)}, body + '\\n# complete v' + v + '\\n');
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

describe('locking', () => {
  it('takes over a lock left by a dead process, and waits for a live one', () => {
    const { files, deny } = fresh();
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    writeFileSync(`${deny}.lock`, dead.stdout.toString());
    files.add('deny', [{ network: '192.0.2.1', note: '' }]);
    assert.ok(!existsSync(`${deny}.lock`));
    writeFileSync(`${deny}.lock`, String(process.pid));
    assert.throws(() => files.add('deny', [{ network: '192.0.2.2', note: '' }]), {
      code: 'SP_ERR_LIST_IO',
      message: /being changed by process/,
    });
    rmSync(`${deny}.lock`);
    assert.deepEqual(
      files.read('deny').map((e) => e.network),
      ['192.0.2.1'],
    );
  });
});
