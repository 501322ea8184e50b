/**
 * Issue 10 item 14: attacker text is bounded at capture and escaped for each output, one
 * module per output kind (terminal, JSON, CSV, HTML, mail header).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { printable } from '../report/format.js';
import { MAX_FIELD, parseSip } from '../sip/parse.js';
import { csvCell } from './csv.js';
import { escapeHtml } from './html.js';
import { mailHeader } from './mail.js';
import { jsonText, terminalLines, terminalSafe } from './terminal.js';

/** Clear screen, retitle the terminal, BEL, CR, NUL, CSI (U+009B), NEL (U+0085), RLO, LRI. */
const EVIL = '\u001b[2J\u001b]0;pwned\u0007\r\u0000\u009b31m\u0085\u202etxt.exe\u2066';
const ACTIVE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

describe('attacker text', () => {
  it('is bounded at capture: a 60 KB User-Agent keeps 256 characters, the cut marked', () => {
    const ua = 'A'.repeat(60_000);
    const sip = `OPTIONS sip:h SIP/2.0\r\nUser-Agent: ${ua}\r\nTo: <sip:${'u'.repeat(3000)}@h>\r\nCSeq: 1 OPTIONS\r\n\r\n`;
    const m = parseSip(new TextEncoder().encode(sip));
    assert.equal(m?.userAgent?.length, MAX_FIELD);
    assert.ok(m?.userAgent?.endsWith('A…'));
    assert.equal(m?.toUser?.length, MAX_FIELD);
  });

  it('terminal: every control that acts becomes ?, lines and tabs and CRLF stay', () => {
    assert.doesNotMatch(terminalSafe(EVIL), ACTIVE);
    assert.doesNotMatch(terminalLines(`a\t${EVIL}\nb`), ACTIVE);
    assert.equal(terminalLines('a\tb\r\nc\n'), 'a\tb\r\nc\n');
    assert.doesNotMatch(printable(EVIL), ACTIVE, 'the report and mail lines use the same');
  });

  it('JSON: C1, separators and bidi overrides escaped; the data is unchanged', () => {
    const text = jsonText({ ua: EVIL });
    assert.doesNotMatch(text, /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/);
    assert.equal(JSON.parse(text).ua, EVIL);
  });

  it('CSV: formulas neutralised, controls inert, quoting when needed', () => {
    assert.equal(csvCell('=cmd|calc'), "'=cmd|calc");
    assert.doesNotMatch(csvCell(EVIL), ACTIVE);
    assert.equal(csvCell('a,b'), '"a,b"');
  });

  it('HTML and mail headers', () => {
    assert.equal(
      escapeHtml(`<img src=x onerror="a('b')">&`),
      '&lt;img src=x onerror=&quot;a(&#39;b&#39;)&quot;&gt;&amp;',
    );
    const subject = mailHeader(`blocked\r\nBcc: victim@example.com ${'x'.repeat(500)}`);
    assert.doesNotMatch(subject, /[\r\n]/);
    assert.ok(subject.length <= 200);
  });
});
