/**
 * NftablesFirewall.shutdown (issue 15): the table goes even when the first `nft` run for it
 * fails (killed, a busy kernel): a second, fresh `nft -f -` is tried before stop gives up.
 * An nft stand-in records every run (argv and stdin); the real nft case, with the `nft -i`
 * helper SIGKILLed, is test/nft-helper-netns.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { NftablesFirewall } from './nftables.js';

const dir = mkdtempSync(join(tmpdir(), 'sipprot-nft-shutdown-'));
const log = join(dir, 'runs.jsonl');
const script = join(dir, 'nft.cjs');
// Fails the first FAIL runs of `-f -`, then succeeds; every run is appended to the log.
writeFileSync(
  script,
  `const fs = require('node:fs');
let input = '';
process.stdin.on('data', (d) => (input += d));
process.stdin.on('end', () => {
  fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify({ argv: process.argv.slice(2), input }) + '\\n');
  const runs = fs.readFileSync(${JSON.stringify(log)}, 'utf8').trim().split('\\n').length;
  if (runs <= Number(process.env.FAIL)) {
    process.stderr.write('Error: Could not process rule: Device or resource busy\\n');
    process.exit(1);
  }
});
`,
);

const runs = () =>
  readFileSync(log, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { argv: string[]; input: string });

describe('NftablesFirewall.shutdown', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a failed first try is retried once in a fresh nft process; the table goes', async () => {
    rmSync(log, { force: true });
    process.env.FAIL = '1';
    await new NftablesFirewall({ command: [process.execPath, script] }).shutdown();
    const r = runs();
    assert.equal(r.length, 2);
    for (const run of r) {
      assert.deepEqual(run.argv, ['-f', '-']);
      assert.equal(run.input, 'table inet sipprot\ndelete table inet sipprot\n');
    }
  });

  it("two failures: stop is told (SP_ERR_FIREWALL with nft's words), after exactly two tries", async () => {
    rmSync(log, { force: true });
    process.env.FAIL = '2';
    await assert.rejects(
      new NftablesFirewall({ command: [process.execPath, script] }).shutdown(),
      (e: Error) => /Device or resource busy/.test(e.message),
    );
    assert.equal(runs().length, 2);
    delete process.env.FAIL;
  });
});
