/**
 * Every `sipprot` call is a fresh process, and admins and scripts make many (the e2e suites
 * dozens a file): nodemailer (~110 ms of CPU to load) and ioredis (~240 ms) are loaded only
 * by the commands that send mail or ask Redis, not by the rest. Checked on the installed
 * command (dist: `npm run build` first) with a module hook that names every package loaded.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin/sipprot.js');
const dir = mkdtempSync(join(tmpdir(), 'sipprot-lazy-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const hook = join(dir, 'hook.mjs');
writeFileSync(
  hook,
  `export async function resolve(spec, ctx, next) {
  const r = await next(spec, ctx);
  const m = /\\/node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(r.url);
  if (m) process.stderr.write('LOADED ' + m[1] + '\\n');
  return r;
}
`,
);
const register = join(dir, 'register.mjs');
writeFileSync(
  register,
  `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hook).href)});\n`,
);

async function packagesLoadedBy(...argv: string[]): Promise<Set<string>> {
  const conf = join(dir, 'sipprot.conf');
  writeFileSync(conf, `STATE_DIR=${join(dir, 'state')}\nCLUSTER_REDIS_URL=redis://127.0.0.1:1\n`);
  const r = await promisify(execFile)(
    process.execPath,
    ['--import', register, BIN, ...argv, '--config', conf],
    {
      timeout: 60_000,
    },
  ).catch((e: { stderr?: string }) => ({ stderr: e.stderr ?? '' }));
  return new Set([...r.stderr.matchAll(/^LOADED (\S+)$/gm)].map((m) => m[1]!));
}

test('the hook sees what a command loads: the CLI parser, and ioredis for cluster status', async () => {
  const cluster = await packagesLoadedBy('cluster', 'status');
  assert.ok(cluster.has('commander'), [...cluster].join(' '));
  assert.ok(
    cluster.has('ioredis'),
    `cluster status asks Redis itself without a daemon: ${[...cluster].join(' ')}`,
  );
});

for (const argv of [['version'], ['status'], ['history'], ['allow', 'list']]) {
  test(`sipprot ${argv.join(' ')} loads neither nodemailer nor ioredis`, async () => {
    const loaded = await packagesLoadedBy(...argv);
    assert.ok(loaded.has('commander'), `the hook saw the CLI load: ${[...loaded].join(' ')}`);
    assert.ok(!loaded.has('nodemailer'), `nodemailer loaded: ${[...loaded].join(' ')}`);
    assert.ok(!loaded.has('ioredis'), `ioredis loaded: ${[...loaded].join(' ')}`);
  });
}
