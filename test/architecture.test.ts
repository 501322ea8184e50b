/**
 * The shape of the house, checked instead of remembered (issue 11):
 * - `core/` is pure: it imports only `core/`, never `node:*` or a package, never reads a clock.
 *   Inside it, a folder's internal files (FOLDER_INTERNAL) are imported by that folder only.
 * - Ports (`ports/`) sit on the core; adapters (capture, firewall, store, notify, geoip,
 *   lists, config) import core, ports and platform utilities, never each other.
 * - Only the composition roots (`daemon/`, the CLI entry points) put adapters together;
 *   nothing imports `cli/` or `daemon/` internals; the web UI imports the HTTP wire types only.
 * - No import circle between production files.
 * - The README's architecture drawing stays true: every `src/...` path it names exists, and
 *   every folder of `src/` is named in it (a new folder must find its place in the drawing).
 * - Test support has one naming scheme (CONVENTIONS.md): helpers `*.testkit.ts`, contract suites
 *   `*.contract.ts`, fakes `*.fake.ts` with classes named `Fake…`; it is exempt from the layering
 *   above, and production never imports it.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';

const ROOT = resolve(import.meta.dirname, '..');
const SRC = join(ROOT, 'src');

const ADAPTERS = [
  'capture',
  'firewall',
  'store',
  'notify',
  'geoip',
  'lists',
  'config',
  'cluster',
  'metrics',
  'webhooks',
  'feeds',
];
const INNER = ['core', 'ports', 'platform'];
/** Folder → the src folders its production files may import (besides itself). */
const ALLOWED: Record<string, string[]> = {
  core: [],
  ports: ['core'],
  platform: ['core'],
  ...Object.fromEntries(ADAPTERS.map((a) => [a, INNER])),
  admin: INNER,
  replay: [...INNER, 'capture'],
  api: INNER,
  // Composition roots: they build adapters and hand each part what it needs.
  daemon: [...INNER, ...ADAPTERS, 'admin', 'api', 'replay'],
  cli: [...INNER, ...ADAPTERS, 'admin', 'replay', 'daemon'],
};
/** The only files of a composition root that another folder may import. */
const PUBLIC_SURFACE: Record<string, RegExp> = { daemon: /^daemon\/(main|control)\.ts$/ };

/**
 * Files only their own folder may import: behind them, each core folder shows a small
 * surface. geoip/: table.ts, csv.ts, bin.ts, validate.ts, countries.ts (the fast address
 * parsers, segment arrays, nft elements and flattening stay inside); config/: keys.ts and
 * parse.ts (the service keys' definitions and the value parsers stay inside).
 */
const FOLDER_INTERNAL = [
  'core/geoip/addr.ts',
  'core/geoip/elements.ts',
  'core/geoip/flatten.ts',
  'core/geoip/segments.ts',
  'core/config/keys-service.ts',
  'core/config/values.ts',
];

/**
 * Violations that existed when this test was written. Each must disappear (and be taken
 * off this list) as its folder is tidied; a new one fails the test at once.
 */
const KNOWN: string[] = [];
const KNOWN_CIRCLES: string[] = [];

const isTestSupport = (rel: string) => /\.(test|testkit|contract|fake)\.ts$/.test(rel);

function walk(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (/\.tsx?$/.test(e.name)) out.push(p);
  }
  return out;
}

interface Import {
  from: string;
  spec: string;
  /** Resolved file (relative to src) for a relative import, else null. */
  target: string | null;
}

function importsOf(file: string): Import[] {
  const text = readFileSync(file, 'utf8');
  const out: Import[] = [];
  const re =
    /(?:^|\n)\s*(?:import|export)\s[^;'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (const m of text.matchAll(re)) {
    const spec = (m[1] ?? m[2])!;
    let target: string | null = null;
    if (spec.startsWith('.')) {
      const abs = resolve(dirname(file), spec).replace(/\.js$/, '');
      const ts = [`${abs}.ts`, `${abs}.tsx`, join(abs, 'index.ts')].find((p) => existsSync(p));
      target = ts ? relative(SRC, ts) : relative(SRC, abs);
    }
    out.push({ from: relative(SRC, file), spec, target });
  }
  return out;
}

const folderOf = (rel: string) => rel.split('/')[0]!;

function violations(): string[] {
  const found: string[] = [];
  for (const file of walk(SRC)) {
    const rel = relative(SRC, file);
    if (isTestSupport(rel)) continue;
    const folder = folderOf(rel);
    const allowed = ALLOWED[folder];
    if (!allowed) {
      found.push(`${rel}: folder ${folder}/ has no place in the layering (add it to ALLOWED)`);
      continue;
    }
    const text = readFileSync(file, 'utf8');
    if (folder === 'core' && /\bDate\.now\(|\bnew Date\(\)|performance\.now\(/.test(text)) {
      found.push(`${rel}: reads the clock (time is an argument in core)`);
    }
    for (const imp of importsOf(file)) {
      if (imp.target === null) {
        if (folder === 'core') found.push(`${rel}: imports ${imp.spec} (core imports only core)`);
        continue;
      }
      if (!imp.target.startsWith('..') && isTestSupport(imp.target)) {
        found.push(`${rel}: imports test support ${imp.target}`);
        continue;
      }
      if (FOLDER_INTERNAL.includes(imp.target) && dirname(imp.target) !== dirname(rel)) {
        found.push(`${rel}: imports ${imp.target} (internal to ${dirname(imp.target)}/)`);
        continue;
      }
      const to = folderOf(imp.target);
      if (to === folder) continue;
      if (!allowed.includes(to)) {
        found.push(`${rel}: imports ${imp.target} (${folder}/ may not import ${to}/)`);
        continue;
      }
      const surface = PUBLIC_SURFACE[to];
      if (surface && !surface.test(imp.target))
        found.push(`${rel}: imports ${imp.target} (not ${to}/'s public surface)`);
    }
  }
  return found.sort();
}

function cycles(): string[] {
  const graph = new Map<string, string[]>();
  for (const file of walk(SRC)) {
    const rel = relative(SRC, file);
    if (isTestSupport(rel)) continue;
    graph.set(
      rel,
      importsOf(file)
        .map((i) => i.target)
        .filter((t): t is string => t !== null && !isTestSupport(t)),
    );
  }
  // Tarjan's strongly connected components: every component of more than one file is a circle.
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1) out.push(`circle: ${comp.sort().join(' ↔ ')}`);
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out.sort();
}

function webImports(): string[] {
  const found: string[] = [];
  const webSrc = join(ROOT, 'web', 'src');
  for (const file of walk(webSrc)) {
    for (const imp of importsOf(file)) {
      if (!imp.spec.startsWith('.')) continue;
      const abs = resolve(dirname(file), imp.spec);
      if (abs.startsWith(webSrc)) continue;
      const rel = relative(SRC, abs).replace(/\.js$/, '.ts');
      if (!/^api\/(types|wire)[^/]*\.ts$|^api\/wire\//.test(rel)) {
        found.push(
          `web/src/${relative(webSrc, file)}: imports ${rel} (the UI uses the HTTP wire types only)`,
        );
      }
    }
  }
  return found.sort();
}

/** Test support that strays from the one naming scheme (CONVENTIONS.md, issue 11 item 10). */
function testSupportNames(): string[] {
  const found: string[] = [];
  const TEST = join(ROOT, 'test');
  for (const file of [...walk(SRC), ...walk(TEST)]) {
    const rel = relative(ROOT, file);
    if (/(^|\/)(testing|fixtures)(\/|\.ts$)|\.fixtures\.ts$/.test(rel)) {
      found.push(`${rel}: test helpers are *.testkit.ts files next to what they support`);
    }
    // test/ holds tests and their kits; test/e2e/bin/ holds the commands the e2e tests run.
    if (rel.startsWith('test/') && !rel.startsWith('test/e2e/bin/') && !/\.(test|testkit)\.ts$/.test(rel)) {
      found.push(`${rel}: a file in test/ is a *.test.ts or a *.testkit.ts`);
    }
    const classes = [...readFileSync(file, 'utf8').matchAll(/^export class (\w+)/gm)].map((m) => m[1]!);
    const fake = rel.endsWith('.fake.ts');
    for (const name of classes) {
      if (fake !== name.startsWith('Fake')) {
        found.push(`${rel}: class ${name}: fakes are classes named Fake… in *.fake.ts files`);
      }
    }
  }
  return found.sort();
}

/** The first fenced block after the README's `## Architecture` heading. */
function readmeDrawing(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.split(/^## Architecture\s*$/m)[1];
  assert.ok(section, 'README.md has a "## Architecture" section');
  const drawing = /^```[^\n]*\n([\s\S]*?)^```/m.exec(section.split(/^## /m)[0]!)?.[1];
  assert.ok(drawing, 'the Architecture section has a drawing in a ``` block');
  return drawing;
}

/** `src/...` paths the drawing names that are not in the tree, and src folders it does not name. */
function drawingDrift(drawing: string): string[] {
  const named = [...drawing.matchAll(/\bsrc\/[A-Za-z0-9_./-]*/g)].map((m) => m[0].replace(/[./]+$/, ''));
  const found: string[] = [];
  for (const p of new Set(named)) {
    if (p !== 'src' && !existsSync(join(ROOT, p)))
      found.push(`README drawing names ${p}, which does not exist`);
  }
  const folders = new Set(named.map((p) => p.split('/')[1]).filter(Boolean));
  for (const e of readdirSync(SRC, { withFileTypes: true })) {
    if (e.isDirectory() && !folders.has(e.name)) found.push(`src/${e.name}/ is not in the README drawing`);
  }
  return found.sort();
}

describe('architecture', () => {
  it("the README's architecture drawing names every src folder and only paths that exist", () => {
    assert.deepEqual(drawingDrift(readmeDrawing()), []);
    // The check itself: a path that is not there and a folder left out are both caught.
    assert.deepEqual(drawingDrift('src/core/ src/nowhere/x.ts').slice(0, 1), [
      'README drawing names src/nowhere/x.ts, which does not exist',
    ]);
    assert.ok(drawingDrift('src/core/').includes('src/daemon/ is not in the README drawing'));
  });

  it('every import points inward (the layering above), apart from the known ones being removed', () => {
    assert.deepEqual([...violations(), ...webImports()], KNOWN);
  });

  it('no import circle between production files', () => {
    assert.deepEqual(cycles(), KNOWN_CIRCLES);
  });

  it('test support follows one naming scheme (helpers, contracts, fakes)', () => {
    assert.deepEqual(testSupportNames(), []);
  });
});
