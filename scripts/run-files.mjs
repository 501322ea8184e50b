/**
 * Runs test files in the order given, N at a time, with the spec reporter: node:test's
 * run(). `node --test FILES` (Node 20) sorts the files by name before it starts them, so
 * scripts/test.sh could not put the longest first; run() keeps the order. The children get
 * this process's flags (`--import tsx`). Exit 1 when a test failed.
 *
 *   node --import tsx scripts/run-files.mjs --concurrency 2 --timeout 600000 FILES...
 */
import { run } from 'node:test';
import { spec } from 'node:test/reporters';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  options: { concurrency: { type: 'string', default: '1' }, timeout: { type: 'string', default: '600000' } },
  allowPositionals: true,
});
const stream = run({
  files: positionals,
  concurrency: Number(values.concurrency),
  timeout: Number(values.timeout),
});
stream.on('test:fail', (data) => {
  if (!data.todo) process.exitCode = 1;
});
await pipeline(stream, new spec(), process.stdout);
