import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ListFiles } from './list-files.js';

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
  it('a missing file reads as an empty list; the first add creates it with a header', async () => {
    const { files, deny } = fresh();
    assert.deepEqual(files.read('deny'), []);
    assert.deepEqual(files.readDetailed('deny'), { entries: [], errors: [], networks: [] });
    const r = await files.add('deny', [{ network: '192.0.2.0/24', note: 'bad net' }]);
    assert.deepEqual(r, { added: [{ network: '192.0.2.0/24', note: 'bad net' }], updated: [] });
    const text = readFileSync(deny, 'utf8');
    assert.match(text, /^# sipprot deny list/);
    assert.ok(text.endsWith('192.0.2.0/24 bad net\n'));
    assert.deepEqual(files.read('deny'), [{ network: '192.0.2.0/24', note: 'bad net' }]);
    assert.deepEqual(files.read('allow'), []);
  });

  it('keeps comments, blank lines, trailing comments and unparseable lines when rewriting', async () => {
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
    const r = await files.add('allow', [
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

  it('adding what is already there with the same or no note changes nothing on disk', async () => {
    const { files, deny } = fresh();
    await files.add('deny', [{ network: '198.51.100.7', note: 'x' }]);
    const before = readFileSync(deny, 'utf8');
    const mtime = statSync(deny).mtimeMs;
    assert.deepEqual(await files.add('deny', [{ network: '198.51.100.7/32', note: '' }]), {
      added: [],
      updated: [],
    });
    assert.deepEqual(await files.add('deny', [{ network: '198.51.100.7', note: 'x' }]), {
      added: [],
      updated: [],
    });
    assert.equal(readFileSync(deny, 'utf8'), before);
    assert.equal(statSync(deny).mtimeMs, mtime);
  });

  it('an invalid address fails the whole add, naming it, and writes nothing', async () => {
    const { files, deny } = fresh();
    await files.add('deny', [{ network: '203.0.113.1', note: '' }]);
    const before = readFileSync(deny, 'utf8');
    await assert.rejects(
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
    await assert.rejects(() => files.remove('deny', ['nope']), {
      code: 'SP_ERR_ADDRESS_INVALID',
      message: /nope/,
    });
  });

  it('removes one or many (every duplicate line), reports the missing ones, and removeAll keeps comments', async () => {
    const { files, deny } = fresh();
    writeFileSync(deny, '# keep me\n192.0.2.1 a\n192.0.2.2 b\n192.0.2.1/32 dup\n2001:db8::1\n');
    const r = await files.remove('deny', ['192.0.2.1', '::ffff:192.0.2.2', '192.0.2.99', '192.0.2.1']);
    assert.deepEqual(r, { removed: ['192.0.2.1', '192.0.2.2'], missing: ['192.0.2.99'] });
    assert.equal(readFileSync(deny, 'utf8'), '# keep me\n2001:db8::1\n');
    const before = readFileSync(deny, 'utf8');
    assert.deepEqual(await files.remove('deny', ['198.51.100.1']), {
      removed: [],
      missing: ['198.51.100.1'],
    });
    assert.equal(readFileSync(deny, 'utf8'), before);
    assert.deepEqual(await files.removeAll('deny'), { removed: ['2001:db8::1'], missing: [] });
    assert.equal(readFileSync(deny, 'utf8'), '# keep me\n');
    assert.deepEqual(files.read('deny'), []);
  });

  it('an import with errors applies nothing (file byte-identical) and reports every bad line', async () => {
    const { files, allow } = fresh();
    writeFileSync(allow, '# mine\r\n192.0.2.1 old note\r\n');
    const before = readFileSync(allow);
    const csv =
      'network,note\n192.0.2.5,good\nbad-one,x\n198.51.100.0/24,"net, with comma"\n10.0.0.1/8,host bits\n';
    const r = await files.importCsv('allow', csv, { skipInvalid: false });
    assert.equal(r.applied, false);
    assert.deepEqual(r.added, []);
    assert.deepEqual(
      r.errors.map((e) => e.line),
      [3, 5],
    );
    assert.deepEqual(readFileSync(allow), before);

    const ok = await files.importCsv('allow', csv, { skipInvalid: true });
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

  it('a clean import applies; export gives CSV that imports back to the same list', async () => {
    const a = fresh();
    const r = await a.files.importCsv('deny', '192.0.2.7,"say ""hi"""\r\n2001:db8::/32,\r\n');
    assert.equal(r.applied, true);
    assert.equal(r.added.length, 2);
    const csv = a.files.exportCsv('deny');
    assert.ok(csv.startsWith('network,note\r\n'));
    const b = fresh();
    await b.files.importCsv('deny', csv);
    assert.deepEqual(b.files.read('deny'), a.files.read('deny'));
    assert.deepEqual(a.files.read('deny'), [
      { network: '192.0.2.7', note: 'say "hi"' },
      { network: '2001:db8::/32', note: '' },
    ]);
  });
});

describe('locking (platform/file-lock.ts has the full set)', () => {
  it('a leftover empty lock file does not hold changes up (issue 10 item 13); a dead owner neither', async () => {
    const { files, deny } = fresh();
    writeFileSync(`${deny}.lock`, '');
    await files.add('deny', [{ network: '192.0.2.1', note: '' }]);
    assert.ok(!existsSync(`${deny}.lock`));
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    writeFileSync(`${deny}.lock`, dead.stdout.toString());
    await files.add('deny', [{ network: '192.0.2.2', note: '' }]);
    assert.deepEqual(
      files.read('deny').map((e) => e.network),
      ['192.0.2.1', '192.0.2.2'],
    );
  });

  it('a live owner is waited for, then SP_ERR_LIST_IO names it; nothing is written', async () => {
    const { files, deny } = fresh();
    writeFileSync(`${deny}.lock`, String(process.ppid));
    await assert.rejects(files.add('deny', [{ network: '192.0.2.2', note: '' }]), {
      code: 'SP_ERR_LIST_IO',
      message: new RegExp(`being changed by process ${process.ppid}`),
    });
    rmSync(`${deny}.lock`);
    assert.deepEqual(files.read('deny'), []);
  });

  it('concurrent changes of one process (enforcer appends, API adds) lose nothing', async () => {
    const { files } = fresh();
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        files.add('deny', [{ network: `192.0.2.${i + 1}`, note: `n${i}` }]),
      ),
    );
    assert.equal(files.read('deny').length, 30);
  });
});
