/**
 * Issue 10 item 15: a config or list file that anyone may write is refused with a message
 * naming the file and what to run, by the config loader and by the list files (so the
 * daemon's start, reload and the CLI all refuse it). Runs as root: chown to another uid
 * plants a file the way another local user would.
 */
import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadConfig } from '../config/load.js';
import { ListFiles } from '../lists/list-files.js';
import { assertSafeFile, unsafeFileReason } from './file-safety.js';

const root = mkdtempSync(join(tmpdir(), 'sipprot-safety-'));
after(() => rmSync(root, { recursive: true, force: true }));

function dir(name: string, mode: number): string {
  const d = join(root, name);
  mkdirSync(d);
  chmodSync(d, mode);
  return d;
}

function file(d: string, name: string, text: string, mode = 0o600): string {
  const p = join(d, name);
  writeFileSync(p, text);
  chmodSync(p, mode);
  return p;
}

describe('file safety: files sipprot trusts must be writable by the admin only', () => {
  it('accepts a private file in a private directory, and a missing file', () => {
    const d = dir('ok', 0o755);
    assert.equal(unsafeFileReason(file(d, 'sipprot.conf', 'HIT_COUNT=3\n', 0o644)), null);
    assert.equal(unsafeFileReason(join(d, 'missing.allowlist')), null);
  });

  it('refuses a world-writable file, saying what to run', () => {
    const d = dir('ww-file', 0o755);
    const p = file(d, 'sipprot.conf', 'HIT_COUNT=3\n', 0o666);
    const why = unsafeFileReason(p);
    assert.match(why ?? '', /writable by every user \(mode 0666\): run chmod o-w /);
    assert.throws(
      () => loadConfig({ path: p }),
      (e: Error & { code?: string }) => {
        assert.equal(e.code, 'SP_ERR_PERMISSION');
        assert.match(
          e.message,
          /refusing to trust the config file: .*sipprot\.conf is writable by every user/,
        );
        return true;
      },
    );
  });

  it('refuses a file in a world-writable directory without the sticky bit', () => {
    const d = dir('ww-dir', 0o777);
    const p = file(d, 'sipprot.conf', 'HIT_COUNT=3\n');
    assert.match(
      unsafeFileReason(p) ?? '',
      /a directory every user may write \(mode 0777\): anyone could replace/,
    );
    assert.throws(() => loadConfig({ path: p }), /refusing to trust the config file/);
  });

  it('in a sticky world-writable directory (/tmp-like): refuses a file another user planted', () => {
    const d = dir('sticky', 0o1777);
    const mine = file(d, 'mine.conf', 'HIT_COUNT=3\n');
    assert.equal(unsafeFileReason(mine), null, "root's own file in /tmp is its own");
    const planted = file(d, 'planted.conf', 'HIT_COUNT=3\n', 0o644);
    chownSync(planted, 65534, 65534);
    assert.match(unsafeFileReason(planted) ?? '', /belongs to uid 65534 .* anyone could have planted it/);
    assert.throws(() => assertSafeFile(planted, 'the allow list'), /refusing to trust the allow list/);
  });

  it('list files: reading or changing a world-writable allow list is refused', async () => {
    const d = dir('lists', 0o755);
    const allow = file(d, 'sipprot.allowlist', '0.0.0.0/1 planted by a local user\n', 0o666);
    const lists = new ListFiles({ allow, deny: join(d, 'sipprot.denylist') });
    assert.throws(() => lists.read('allow'), /refusing to trust the allow list: .*writable by every user/);
    await assert.rejects(
      lists.add('allow', [{ network: '192.0.2.1', note: '' }]),
      /refusing to trust the allow list/,
    );
    assert.deepEqual(lists.read('deny'), [], 'a missing deny list is still an empty list');
  });
});
