import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bytes, concat, sipRequest, sipResponse } from '../packet/packets.testkit.js';
import { isStartLine, newFramerStats, SipFramer } from './framing.js';

function collect(maxBuffer = 65536) {
  const blocks: string[] = [];
  const stats = newFramerStats();
  const f = new SipFramer(
    (buf, s, e) => blocks.push(String.fromCharCode(...buf.subarray(s, e))),
    stats,
    maxBuffer,
  );
  return { f, blocks, stats };
}

const A = sipRequest({ callId: 'a', body: 'hello body' });
const B = sipResponse({ status: 200, callId: 'b' });

describe('SipFramer', () => {
  it('hands on header blocks only, bodies dropped', () => {
    const { f, blocks, stats } = collect();
    const all = concat(A, B);
    f.push(all, 0, all.length);
    assert.equal(blocks.length, 2);
    assert.ok(blocks[0]!.startsWith('REGISTER ') && blocks[0]!.endsWith('Content-Length: 10\r\n\r\n'));
    assert.ok(blocks[1]!.startsWith('SIP/2.0 200'));
    assert.equal(stats.framed, 2);
    assert.equal(f.pending, 0);
  });

  it('gives the same blocks however the stream is cut', () => {
    const all = concat(A, bytes('\r\n\r\n'), B, A);
    const { f: whole, blocks: expected } = collect();
    whole.push(all, 0, all.length);
    for (let step = 1; step < 40; step += 3) {
      const { f, blocks } = collect();
      for (let i = 0; i < all.length; i += step) f.push(all, i, Math.min(all.length, i + step));
      assert.deepEqual(blocks, expected, `step ${step}`);
    }
  });

  it('accepts compact l: and bare LF line ends', () => {
    const { f, blocks } = collect();
    const m = bytes('MESSAGE sip:a@b SIP/2.0\nl: 3\n\nabcOPTIONS sip:x SIP/2.0\n\n');
    f.push(m, 0, m.length);
    assert.equal(blocks.length, 2);
    assert.ok(blocks[1]!.startsWith('OPTIONS'));
  });

  it('resynchronises on a bad Content-Length and on non-SIP lines', () => {
    const { f, blocks, stats } = collect();
    const m = concat(bytes('INVITE sip:a@b SIP/2.0\r\nContent-Length: abc\r\n\r\n'), bytes('hello\r\n'), B);
    f.push(m, 0, m.length);
    assert.equal(blocks.length, 1);
    assert.ok(blocks[0]!.startsWith('SIP/2.0 200'));
    assert.ok(stats.resyncs >= 2);
  });

  it('rejects binary at once instead of buffering it', () => {
    const { f, stats } = collect();
    const junk = Uint8Array.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]);
    f.push(junk, 0, junk.length);
    assert.equal(f.pending, 0);
    assert.equal(stats.resyncs, 1);
  });

  it('waits for an incomplete start line that could still be SIP', () => {
    const { f, blocks } = collect();
    const part = bytes('REGIS');
    f.push(part, 0, part.length);
    assert.equal(f.pending, 5);
    const rest = concat(bytes('TER sip:h SIP/2.0\r\n\r\n'));
    f.push(rest, 0, rest.length);
    assert.equal(blocks.length, 1);
  });

  it('overflows a header block larger than the buffer, then recovers', () => {
    const { f, blocks, stats } = collect(1024);
    const long = bytes(`OPTIONS sip:h SIP/2.0\r\n${'X-A: 0123456789\r\n'.repeat(200)}\r\n`);
    const all = concat(long, B);
    for (let i = 0; i < all.length; i += 100) f.push(all, i, Math.min(all.length, i + 100));
    assert.equal(blocks.length, 1);
    assert.ok(blocks[0]!.startsWith('SIP/2.0 200'));
    assert.ok(stats.overflows >= 1);
    assert.ok(f.pending <= 1024);
  });

  it('drops pending bytes when told that bytes were lost', () => {
    const { f, blocks } = collect();
    const noBody = sipRequest({ callId: 'a0' });
    f.push(noBody, 0, 30);
    f.lost();
    f.push(noBody, 60, noBody.length); // the rest of a message whose start was lost
    f.push(B, 0, B.length);
    assert.equal(blocks.length, 1);
    assert.ok(blocks[0]!.startsWith('SIP/2.0 200'));
  });
});

describe('isStartLine', () => {
  const yes = [
    'INVITE sip:1@h SIP/2.0',
    'SIP/2.0 404 Not Found',
    'SIP/2.0 200',
    'x sip:h sip/2.0\r',
    'OPTIONS sip:h  SIP/2.0 ',
  ];
  const no = [
    'HTTP/1.1 200 OK',
    'GET / HTTP/1.0',
    'SIP/2.0 20 OK',
    'INVITE h SIP/2.0',
    'INVITE sip:h SIP/2.1',
    'INVITE sip:h',
    '',
  ];
  for (const l of yes)
    it(`yes: ${JSON.stringify(l)}`, () => assert.equal(isStartLine(bytes(l), 0, l.length), true));
  for (const l of no)
    it(`no: ${JSON.stringify(l)}`, () => assert.equal(isStartLine(bytes(l), 0, l.length), false));
});
