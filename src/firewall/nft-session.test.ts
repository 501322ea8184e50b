import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { NftSession, SentinelParser, shorten } from './nft-session.js';

// What nft 1.0.6 prints for the sentinel and for a refused command (captured from the real binary).
const sentinelReply = (n: number) =>
  `Error: syntax error, unexpected newline, expecting string\nsipprot-sync-${n}\n              ^\n`;
const refusal =
  'Error: No such file or directory\nadd element inet sipprot nope { 1.2.3.4 }\n                         ^^^^\n';

describe('SentinelParser', () => {
  it('attributes errors to the command before each sentinel, whatever the chunking', () => {
    const stream = sentinelReply(1) + refusal + sentinelReply(2) + sentinelReply(3);
    for (const size of [1, 2, 7, 64, stream.length]) {
      const p = new SentinelParser();
      const done: Array<{ seq: number; error: string | null }> = [];
      for (let i = 0; i < stream.length; i += size) done.push(...p.push(stream.slice(i, i + size)));
      assert.deepEqual(
        done.map((d) => [d.seq, d.error?.split('\n')[0] ?? null]),
        [
          [1, null],
          [2, 'Error: No such file or directory'],
          [3, null],
        ],
        `chunk size ${size}`,
      );
      assert.equal(p.leftover(), '');
    }
  });

  it('keeps unclaimed stderr as leftover', () => {
    const p = new SentinelParser();
    assert.deepEqual(p.push('Error: something broke\npartial'), []);
    assert.equal(p.leftover(), 'Error: something broke\npartial');
  });
});

describe('shorten', () => {
  it('cuts long lines and many lines', () => {
    const s = shorten(
      `${'x'.repeat(1000)}\n${Array.from({ length: 20 }, (_, i) => `l${i}`).join('\n')}`,
      10,
      3,
    );
    assert.equal(s, `${'x'.repeat(10)}…\nl0\nl1\n… (18 more lines)`);
  });
});

// A stand-in for `nft` that behaves like nft -i / nft -f on stdin, with failure modes.
const FAKE_NFT = `
const mode = process.argv.includes('-i') ? 'i' : 'f';
let input = '';
let hung = false;
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  if (mode === 'f') { input += chunk; return; }
  input += chunk;
  const lines = input.split('\\n');
  input = lines.pop();
  for (const line of lines) {
    if (hung) continue;
    if (/^sipprot-sync-\\d+$/.test(line)) process.stderr.write(${JSON.stringify('Error: syntax error, unexpected newline, expecting string\n')} + line + '\\n   ^\\n');
    else if (line.includes('bad')) process.stderr.write('Error: No such file or directory\\n' + line + '\\n^^^\\n');
    else if (line === 'die') process.exit(3);
    else if (line === 'hang') hung = true;
  }
});
process.stdin.on('end', () => {
  if (mode === 'f' && input.includes('bad')) { process.stderr.write('/dev/stdin:1:1-3: Error: bad things\\n' + 'y'.repeat(5000) + '\\n'); process.exit(1); }
  process.exit(0);
});
`;

describe('NftSession against a stand-in nft', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sipprot-nft-'));
  const script = join(dir, 'nft.cjs');
  writeFileSync(script, FAKE_NFT);
  const session = (timeoutMs = 5000) => new NftSession({ command: [process.execPath, script], timeoutMs });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('resolves each command and rejects exactly the refused one, in a pipelined stream', async () => {
    const s = session();
    const results = await Promise.allSettled(
      Array.from({ length: 200 }, (_, i) => s.run(i === 77 ? 'add bad thing' : `add element ok ${i}`)),
    );
    assert.equal(results.filter((r) => r.status === 'rejected').length, 1);
    const r77 = results[77]!;
    assert.equal(r77.status, 'rejected');
    const err = (r77 as PromiseRejectedResult).reason as { code: string; message: string };
    assert.equal(err.code, 'SP_ERR_FIREWALL');
    assert.match(err.message, /No such file or directory\nadd bad thing/);
    await s.run('still alive');
    await s.close();
  });

  it('fails pending commands when nft dies, and starts a new one for the next', async () => {
    const s = session();
    const [dead, after] = await Promise.allSettled([s.run('die'), s.run('never answered')]);
    assert.equal(dead.status, 'rejected');
    assert.equal(after.status, 'rejected');
    assert.match(String((dead as PromiseRejectedResult).reason.message), /exited \(code 3\)/);
    await s.run('fresh process');
    await s.close();
  });

  it('gives up on a command that gets no answer, then recovers', async () => {
    // The timeout also covers starting the stand-in (a whole node process, ~0.1 s; > 0.3 s
    // on a loaded machine, where 300 ms made 'works again' time out too): 2 s, not less.
    const s = session(2000);
    await assert.rejects(s.run('hang'), {
      code: 'SP_ERR_FIREWALL',
      message: /did not answer within 2000 ms/,
    });
    await s.run('works again');
    await s.close();
  });

  it('runScript reports the script error, shortened', async () => {
    const s = session();
    await s.runScript('add table inet sipprot\n');
    await assert.rejects(s.runScript('bad\n'), (e: Error) => {
      assert.match(e.message, /^nft failed: \/dev\/stdin:1:1-3: Error: bad things\ny{300}…$/);
      return true;
    });
  });

  it('rejects multi-line input for nft -i', async () => {
    await assert.rejects(session().run('a\nb'), /one line per transaction/);
  });

  it('says when the command does not exist', async () => {
    const s = new NftSession({ command: ['/nonexistent/nft'] });
    await assert.rejects(s.run('x'), { code: 'SP_ERR_FIREWALL', message: /not found/ });
    await assert.rejects(s.exec(['--version']), { code: 'SP_ERR_FIREWALL', message: /not found/ });
  });
});
