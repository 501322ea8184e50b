import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Decoder } from '../core/packet/decoder.js';
import { type ExpectedEvent, edgeCaptures } from '../core/packet/edge-cases.testkit.js';
import { readCapture } from './pcap-file.js';

const DIR = join(import.meta.dirname, '..', '..', 'testdata', 'edge');

describe('testdata/edge captures', () => {
  for (const c of edgeCaptures()) {
    it(`${c.file}: ${c.description}`, async () => {
      const path = join(DIR, c.file);
      assert.deepEqual(
        new Uint8Array(readFileSync(path)),
        c.data,
        'committed file matches its generator (node --import tsx testdata/edge/generate.ts)',
      );
      const meta = JSON.parse(readFileSync(`${path}.expected.json`, 'utf8')) as { expected: ExpectedEvent[] };
      assert.deepEqual(meta.expected, c.expected);
      const d = new Decoder({ sipPorts: c.sipPorts, protocols: ['udp', 'tcp'] });
      const got: ExpectedEvent[] = [];
      for await (const r of readCapture(path)) {
        for (const e of d.push(r.linkType, r.at, r.frame)) {
          got.push({
            at: Math.round(e.at * 1e6) / 1e6,
            src: e.src,
            sport: e.sport,
            dst: e.dst,
            dport: e.dport,
            transport: e.transport as 'udp' | 'tcp',
            kind: e.msg.kind,
            method: e.msg.method,
            status: e.msg.status,
            callId: e.msg.callId,
            fromUser: e.msg.fromUser,
            authUser: e.msg.authUser,
            userAgent: e.msg.userAgent,
          });
        }
      }
      const want = c.expected.map((e) => ({ ...e, at: Math.round(e.at * 1e6) / 1e6 }));
      assert.deepEqual(got, want);
    });
  }
});
