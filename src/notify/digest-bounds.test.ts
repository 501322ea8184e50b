/**
 * Issue 10 item 14, mail: a 63 KB User-Agent padded every row of the digest (1,000 blocks
 * made a 63 MB mail, 10,000 made the build throw, and after that no attack mail went out
 * until the lookback passed). Now the free-text cells are cut and escaped, the table is
 * top-N with every other address named compactly, and a digest that fails anyway becomes
 * a summary of counts without holding back the next ones.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { aDecision } from '../core/records.testkit.js';
import type { Decision } from '../core/types.js';
import { FakeStore } from '../store/store.fake.js';
import { Digest } from './digest.js';
import { buildDigestMail } from './digest-mail.js';

const T = 1_800_000_000;
const UA = `\u001b[2J\u009b${'friendly-scanner '.repeat(20)}`.slice(0, 255) + '…';
const ACTIVE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
const ip = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
const blocks = (n: number): Decision[] =>
  Array.from({ length: n }, (_, i) =>
    aDecision(ip(i + 1), T + i / 100, { reason: 'scanner', userAgent: UA, users: [`${UA}`] }),
  );
const opts = {
  from: T - 60,
  to: T + 200,
  host: 'pbx1',
  formatTime: (t: number) => new Date(t * 1000).toISOString(),
};

describe('the attack digest stays small and inert', () => {
  it('1,000 blocks with 256-character User-Agents: well under 400 KB, nothing active, one-line subject', () => {
    const m = buildDigestMail(blocks(1000), opts);
    assert.ok(m.text.length < 400_000, `${m.text.length} bytes`);
    assert.doesNotMatch(m.text, ACTIVE);
    assert.doesNotMatch(m.subject, /[\r\n]/);
  });

  it('10,000 blocks: built, bounded, and every address still named', () => {
    const ds = blocks(10_000);
    const m = buildDigestMail(ds, opts);
    assert.ok(m.text.length < 1_000_000, `${m.text.length} bytes`);
    for (const d of ds) assert.ok(m.text.includes(` ${d.ip} `), d.ip);
  });

  it('a digest that cannot be queued becomes a summary; the next period is mailed as usual', async () => {
    const store = new FakeStore();
    let refuse = 1;
    const enqueue = store.enqueueMail.bind(store);
    store.enqueueMail = async (m) => {
      if (refuse-- > 0) throw new Error('mail too large for the queue');
      return enqueue(m);
    };
    const digest = new Digest({
      store,
      enabled: true,
      interval: 60,
      startedAt: T - 100,
      host: 'pbx1',
      formatTime: opts.formatTime,
    });
    const first = blocks(3);
    await store.commit({ decisions: first });
    digest.note(first);
    const id1 = await digest.run(T + 100, ['admin@pbx.example']);
    assert.notEqual(id1, null, 'a summary went out instead');
    const later = [aDecision('203.0.113.9', T + 150, { reason: 'scanner' })];
    await store.commit({ decisions: later });
    digest.note(later);
    const id2 = await digest.run(T + 300, ['admin@pbx.example']);
    assert.notEqual(id2, null, 'the next digest is not held back');
    const mails = await store.dueMail(T + 400, 10);
    assert.match(
      mails[0]!.text,
      /The full list could not be put in this mail \(mail too large for the queue\)/,
    );
    assert.match(mails[1]!.text, /203\.0\.113\.9/);
  });
});
