/** `sipprot feeds` without a daemon: the stored copies, and `update` says the daemon downloads. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseConfig } from '../core/config/parse.js';
import { addEntries, emptyFeed } from '../core/feeds/state.js';
import { parseNetwork } from '../core/net/ip.js';
import { FeedStore } from '../feeds/store.js';
import { EXIT } from './exit-codes.js';
import { feedsCommands } from './feeds-command.js';
import { runCli } from './program.js';

describe('sipprot feeds (no daemon)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sipprot-feeds-cli-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const config = parseConfig(`STATE_DIR=${dir}/state\n`, { source: join(dir, 'sipprot.conf') });
  const run = async (...argv: string[]) => {
    let out = '';
    let err = '';
    const code = await runCli(argv, {
      io: { out: (s) => (out += s), err: (s) => (err += s) },
      admin: async () => {
        throw new Error('not used');
      },
      clock: () => 1_800_000_600,
      extensions: [feedsCommands({ config: () => config, clock: () => 1_800_000_600 })],
    });
    return { code, out, err };
  };

  it('says when there are no feeds', async () => {
    const r = await run('feeds');
    assert.equal(r.code, 0);
    assert.match(r.out, /no feeds \(.*sipprot\.feeds is missing or lists none\)/);
  });

  it('shows the stored copies; update needs the daemon', async () => {
    writeFileSync(
      join(dir, 'sipprot.feeds'),
      'apiban apiban https://apiban.org/api key=abcdefgh12 ttl=1d\n',
      {
        mode: 0o600,
      },
    );
    const data = addEntries(emptyFeed('apiban'), [parseNetwork('45.95.147.10')!], {
      now: 1_800_000_000,
      ttl: 86400,
      max: 10,
      cursor: '5',
    }).data;
    await new FeedStore(config.stateDir).save(data);
    const r = await run('feeds', 'status');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /\| apiban \| apiban \| yes +\| 1 +\| 10m ago \| - +\| 10m\/1d +\|/);
    const j = JSON.parse((await run('feeds', '--json')).out);
    assert.deepEqual([j[0].name, j[0].entries, j[0].lastSuccess], ['apiban', 1, 1_800_000_000]);
    const u = await run('feeds', 'update');
    assert.equal(u.code, EXIT.notRunning);
    assert.match(u.err, /feeds are downloaded by the daemon/);
  });
});
