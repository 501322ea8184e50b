/**
 * What ships carries production code only, and runs on the Node 20 the README promises.
 * dist/ is the build (`npm run build`), the npm package and the .deb's /usr/lib/sipprot
 * alike, so this reads the real dist/ (CI builds it in scripts/setup.sh) and the file
 * list `npm pack` would publish. It fails on:
 * - a dist file importing node:test or node:assert (contract suites), a devDependency
 *   (the SMTP test peer imports smtp-server), or a package the manifest does not declare
 *   (it would be missing after `npm install -g`);
 * - a test-support file name (*.test, *.testkit, *.contract*, *.fixtures, testing,
 *   fake) in dist/ or in the package;
 * - a production dependency whose `engines` excludes this Node (CI runs Node 20): npm
 *   itself decides, with `npm ci --dry-run --engine-strict --omit=dev` on the lockfile.
 * ~1 s; no network (`--offline`: the lockfile v3 records every package's engines).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DIST = join(ROOT, 'dist');
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  files: string[];
};

const TEST_SUPPORT =
  /(\.test|\.testkit|\.contract(\.[^/]*)?|\.fixtures|\.fake)\.js$|(^|\/)(testing|fake)\.js$|(^|\/)(testing|__tests__|fixtures)\//;
const BUILTINS = new Set(builtinModules);

/** Every module specifier a compiled ES module names: static, side-effect, dynamic, require. */
export function specifiers(source: string): string[] {
  const out: string[] = [];
  const patterns = [
    /^\s*(?:import|export)\s[^'";]*?\bfrom\s*['"]([^'"]+)['"]/gm,
    /^\s*import\s*['"]([^'"]+)['"]/gm,
    /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\brequire\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const re of patterns) for (const m of source.matchAll(re)) out.push(m[1]!);
  return out;
}

/** Why a specifier must not be in shipped code, or null when it is fine. */
export function forbidden(spec: string, deps: Record<string, string>, devDeps: Record<string, string>) {
  if (spec.startsWith('.') || spec.startsWith('/')) return null;
  if (spec === 'node:test' || spec.startsWith('node:test/')) return 'the test runner';
  if (spec === 'node:assert' || spec.startsWith('node:assert/')) return 'test assertions';
  if (spec.startsWith('node:') || BUILTINS.has(spec)) return null;
  const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
  if (name in deps) return null;
  return name in devDeps ? `the devDependency ${name}` : `${name}, which package.json does not declare`;
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)],
  );
}

function npm(args: string[], cwd: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile('npm', args, { cwd, maxBuffer: 64 * 1024 * 1024, timeout: 120_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, out: `${stdout}${stderr}` });
    });
  });
}

describe('the import check itself', () => {
  test('finds every import form and judges each specifier', () => {
    const src = [
      "import { a } from './a.js';",
      "import x, { y } from 'fastify';",
      "export * from '../b.js';",
      "import 'smtp-server';",
      "const m = await import('node:test');",
      "  import {\n  z\n} from 'node:assert/strict';",
    ].join('\n');
    assert.deepEqual(specifiers(src).sort(), [
      '../b.js',
      './a.js',
      'fastify',
      'node:assert/strict',
      'node:test',
      'smtp-server',
    ]);
    const deps = { fastify: '1', '@scope/lib': '1' };
    const dev = { 'smtp-server': '1' };
    assert.equal(forbidden('fastify', deps, dev), null);
    assert.equal(forbidden('@scope/lib/sub', deps, dev), null);
    assert.equal(forbidden('node:fs', deps, dev), null);
    assert.equal(forbidden('fs', deps, dev), null);
    assert.equal(forbidden('node:test', deps, dev), 'the test runner');
    assert.equal(forbidden('node:assert/strict', deps, dev), 'test assertions');
    assert.equal(forbidden('smtp-server', deps, dev), 'the devDependency smtp-server');
    assert.match(String(forbidden('left-pad', deps, dev)), /does not declare/);
    for (const p of [
      'store/store.contract.js',
      'store/store.contract.records.js',
      'a/testing.js',
      'x/testing/y.js',
    ])
      assert.match(p, TEST_SUPPORT, p);
    for (const p of ['cli/sipprot.js', 'core/detect/detector.js', 'api/static-files.js'])
      assert.doesNotMatch(p, TEST_SUPPORT, p);
  });
});

describe('dist/ (the build that ships)', () => {
  test('holds no test code and imports only node built-ins and declared dependencies', () => {
    assert.ok(existsSync(join(DIST, 'cli/sipprot.js')), 'dist/ is not built: run npm run build');
    const problems: string[] = [];
    const files = walk(DIST).filter((f) => f.endsWith('.js'));
    assert.ok(files.length > 50, `only ${files.length} files in dist/`);
    for (const file of files) {
      const rel = relative(DIST, file);
      if (TEST_SUPPORT.test(rel)) problems.push(`${rel}: a test-support file`);
      for (const spec of specifiers(readFileSync(file, 'utf8'))) {
        const why = forbidden(spec, manifest.dependencies, manifest.devDependencies);
        if (why) problems.push(`${rel} imports ${spec}: ${why}`);
      }
    }
    assert.deepEqual(problems, [], 'see tsconfig.json "exclude"');
  });
});

describe('the npm package', () => {
  test('`npm pack` ships the build, the UI and the data, and no test, source or fixture file', async () => {
    const r = await npm(['pack', '--dry-run', '--json', '--ignore-scripts'], ROOT);
    assert.equal(r.code, 0, r.out);
    const packed = JSON.parse(r.out.slice(r.out.indexOf('['))) as Array<{ files: Array<{ path: string }> }>;
    const paths = packed[0]!.files.map((f) => f.path);
    for (const must of [
      'package.json',
      'bin/sipprot.js',
      'bin/sipprotd.js',
      'dist/cli/sipprot.js',
      'dist/cli/sipprotd.js',
      'web/dist/index.html',
      'data/geoip/geoip.bin.gz',
    ])
      assert.ok(paths.includes(must), `${must} is not in the package`);
    const wrong = paths.filter(
      (p) => TEST_SUPPORT.test(p) || /^(src|test|testdata|bench|scripts|web\/src|node_modules)\//.test(p),
    );
    assert.deepEqual(wrong, []);
  });

  test('every production dependency accepts this Node (npm --engine-strict on the lockfile)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sipprot-engines-'));
    try {
      copyFileSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
      copyFileSync(join(ROOT, 'package-lock.json'), join(dir, 'package-lock.json'));
      const args = ['ci', '--dry-run', '--engine-strict', '--omit=dev', '--ignore-scripts', '--offline'];
      const r = await npm([...args, '--no-audit', '--no-fund'], dir);
      assert.equal(r.code, 0, `${process.version}: ${r.out}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
