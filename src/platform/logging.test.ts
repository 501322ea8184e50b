import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, fstatSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createLogger, isJournalStream } from './logging.js';

const collect = () => {
  const lines: string[] = [];
  return { lines, out: { write: (s: string) => lines.push(...s.split('\n').filter(Boolean)) } };
};

describe('createLogger', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sipprot-logging-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('text on a terminal: local time, level word, one readable line per record', () => {
    const c = collect();
    const log = createLogger({ format: 'text', level: 'info', out: c.out, style: 'terminal' });
    log.info(
      { event: 'decision', action: 'block', ip: '203.0.113.66', reason: 'scanner', userAgent: 'sipvicious' },
      'blocked',
    );
    log.child({ component: 'nft' }).warn({ err: new Error('busy') }, 'command failed');
    log.debug({}, 'not shown at info');
    assert.equal(c.lines.length, 2);
    assert.match(
      c.lines[0]!,
      /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4} INFO {2}blocked 203\.0\.113\.66 scanner \(UA "sipvicious"\)$/,
    );
    assert.match(c.lines[1]!, / WARN {2}nft: command failed err=busy$/);
  });

  it('json: pino lines with every field, for shippers', () => {
    const c = collect();
    createLogger({ format: 'json', level: 'debug', out: c.out }).debug({ ip: '192.0.2.1' }, 'x');
    const rec = JSON.parse(c.lines[0]!);
    assert.equal(rec.level, 20);
    assert.equal(rec.ip, '192.0.2.1');
    assert.equal(rec.msg, 'x');
    assert.equal(typeof rec.time, 'number');
    assert.equal(rec.pid, process.pid);
  });

  it('JOURNAL_STREAM counts only when it names the very stream (device:inode)', () => {
    const fd = openSync(join(dir, 'stream'), 'w');
    try {
      const st = fstatSync(fd);
      assert.equal(isJournalStream({ JOURNAL_STREAM: `${st.dev}:${st.ino}` }, fd), true);
      assert.equal(isJournalStream({ JOURNAL_STREAM: `${st.dev}:${st.ino + 1}` }, fd), false);
      assert.equal(isJournalStream({ JOURNAL_STREAM: 'garbage' }, fd), false);
      assert.equal(isJournalStream({}, fd), false);
    } finally {
      closeSync(fd);
    }
  });

  it('a process whose stdout is the journal stream writes <priority> lines without a time', () => {
    // systemd hands the service a stream and names it in JOURNAL_STREAM: a file stands in.
    const file = join(dir, 'journal');
    const fd = openSync(file, 'w');
    const st = fstatSync(fd);
    const entry = fileURLToPath(new URL('./logging.ts', import.meta.url));
    const script = `
      const { createLogger } = await import(${JSON.stringify(entry)});
      const log = createLogger({ format: 'text', level: 'info' });
      log.info({ event: 'decision', action: 'block', ip: '198.51.100.7', reason: 'flood', attempts: 5000 }, 'blocked');
      log.warn({ file: '/var/lib/sipprot/initial-admin-password' }, 'one-time password written');
      log.error({}, 'firewall operation failed');`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      stdio: ['ignore', fd, 'pipe'],
      env: { ...process.env, JOURNAL_STREAM: `${st.dev}:${st.ino}` },
    });
    closeSync(fd);
    assert.equal(r.status, 0, String(r.stderr));
    assert.deepEqual(readFileSync(file, 'utf8').split('\n').filter(Boolean), [
      '<6>blocked 198.51.100.7 flood: 5000 requests',
      '<4>one-time password written file=/var/lib/sipprot/initial-admin-password',
      '<3>firewall operation failed',
    ]);
  });
});
