/**
 * Every `sipprot` call is a fresh process, and admins and scripts make many (the e2e suites
 * dozens a file): nodemailer (~110 ms of CPU to load) and ioredis (~240 ms) are loaded only
 * by the commands that send mail or ask Redis, not by the rest; SQLite and the mmdb reader
 * only when no daemon answers (the command reads the files itself) or the command needs
 * them. Checked on the installed command (dist: `npm run build` first) with a module hook
 * that names every package loaded.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
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
  return (await run(join(dir, 'state'), argv)).loaded;
}

async function run(stateDir: string, argv: string[]): Promise<{ loaded: Set<string>; stdout: string }> {
  const conf = join(dir, 'sipprot.conf');
  writeFileSync(conf, `STATE_DIR=${stateDir}\nCLUSTER_REDIS_URL=redis://127.0.0.1:1\n`);
  const r = await promisify(execFile)(
    process.execPath,
    ['--import', register, BIN, ...argv, '--config', conf],
    {
      timeout: 60_000,
    },
  ).catch((e: { stderr?: string; stdout?: string }) => ({ stderr: e.stderr ?? '', stdout: e.stdout ?? '' }));
  return { loaded: new Set([...r.stderr.matchAll(/^LOADED (\S+)$/gm)].map((m) => m[1]!)), stdout: r.stdout };
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

test('sipprot version loads neither SQLite nor the mmdb reader', async () => {
  const loaded = await packagesLoadedBy('version');
  assert.ok(loaded.has('commander'), [...loaded].join(' '));
  for (const p of ['better-sqlite3', 'mmdb-lib'])
    assert.ok(!loaded.has(p), `${p} loaded: ${[...loaded].join(' ')}`);
});

test('a command the running daemon answers loads neither SQLite nor the mmdb reader', async () => {
  // A stand-in daemon: this process's PID in the PID file, the API on the socket.
  const state = join(dir, 'running');
  mkdirSync(state, { recursive: true });
  writeFileSync(join(state, 'sipprotd.pid'), `${process.pid}\n`);
  const asked: string[] = [];
  const server = createServer((req, res) => {
    asked.push(`${req.method} ${req.url}`);
    res.setHeader('content-type', 'application/json');
    res.end(req.url === '/api/lists/allow' ? JSON.stringify([{ network: '192.0.2.7', note: 'desk' }]) : '{}');
  });
  await new Promise<void>((r) => server.listen(join(state, 'sipprotd.sock'), r));
  try {
    const { loaded, stdout } = await run(state, ['allow', 'list', '--json']);
    assert.deepEqual(JSON.parse(stdout), [{ network: '192.0.2.7', note: 'desk' }], 'the daemon answered');
    assert.ok(asked.includes('GET /api/lists/allow'), asked.join(', '));
    for (const p of ['better-sqlite3', 'mmdb-lib'])
      assert.ok(!loaded.has(p), `${p} loaded: ${[...loaded].join(' ')}`);
  } finally {
    await new Promise((r) => server.close(r));
  }
});

test('without a daemon the same command reads the store itself', async () => {
  const loaded = await packagesLoadedBy('allow', 'list');
  assert.ok(loaded.has('better-sqlite3'), [...loaded].join(' '));
});
