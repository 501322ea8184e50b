/**
 * Update sources taken from the config (GEOIP_UPDATE_URL, editable from the web UI) read
 * local files only inside the config directory, symlinks resolved: pointing the key at
 * /etc/shadow made root read it and quote its lines in the error (issue 10 item 3).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fetchSource } from './source.js';

describe('fetchSource confined to the config directory', () => {
  const root = mkdtempSync(join(tmpdir(), 'sipprot-geo-src-'));
  const confDir = join(root, 'etc');
  const outside = join(root, 'shadow');
  after(() => rmSync(root, { recursive: true, force: true }));
  writeFileSync(outside, 'root:$6$secret:19000:0:99999:7:::\n');
  mkdirSync(confDir);
  writeFileSync(join(confDir, 'geo.csv'), '1.0.0.0,1.0.0.255,AU\n');
  symlinkSync(outside, join(confDir, 'link.csv'));

  test('a file inside is read', async () => {
    const d = await fetchSource(join(confDir, 'geo.csv'), { confineTo: confDir });
    assert.match(d.bytes.toString(), /AU/);
  });

  for (const [what, from] of [
    ['a path outside', outside],
    ['a file: URL outside', `file://${outside}`],
    ['a symlink inside that points outside', join(confDir, 'link.csv')],
    ['.. out of the directory', join(confDir, '..', 'shadow')],
  ] as const) {
    test(`${what} is refused without showing its content`, async () => {
      await assert.rejects(fetchSource(from, { confineTo: confDir }), (e: Error) => {
        assert.match(e.message, /only files in the config directory/);
        assert.doesNotMatch(e.message, /secret|19000/);
        return true;
      });
    });
  }

  test('without confinement (a file named on the root CLI) any readable file is a source', async () => {
    const d = await fetchSource(outside);
    assert.ok(d.bytes.length > 0);
  });
});
