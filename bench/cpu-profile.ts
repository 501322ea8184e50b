/**
 * Summary of a V8 .cpuprofile (node --cpu-prof): functions by self time, and by
 * inclusive time (self plus callees, counted once per call path), as percentages of
 * all samples. Run alone: node --import tsx bench/cpu-profile.ts FILE.cpuprofile [N]
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount: number;
  children?: number[];
}

export interface ProfileSummary {
  self: string[];
  inclusive: string[];
}

function keyOf(f: ProfileNode['callFrame']): string {
  const file = f.url.replace(/^file:\/\/.*?\/(src|bench|node_modules)\//, '$1/');
  // tsx emits each module on one line: the line number says nothing then.
  const where = f.url ? (f.lineNumber > 0 ? `${file}:${f.lineNumber + 1}` : file) : '';
  return `${f.functionName || '(anonymous)'} ${where}`.trim();
}

export function summarizeProfile(path: string, n: number): ProfileSummary {
  const p = JSON.parse(readFileSync(path, 'utf8')) as { nodes: ProfileNode[] };
  const byId = new Map(p.nodes.map((x) => [x.id, x]));
  const total = p.nodes.reduce((a, x) => a + x.hitCount, 0);
  const self = new Map<string, number>();
  for (const x of p.nodes) self.set(keyOf(x.callFrame), (self.get(keyOf(x.callFrame)) ?? 0) + x.hitCount);
  // Inclusive: each subtree's hits, added to a function only where it is outermost on the path.
  const subtree = new Map<number, number>();
  const sizeOf = (id: number): number => {
    const known = subtree.get(id);
    if (known !== undefined) return known;
    const x = byId.get(id)!;
    let s = x.hitCount;
    for (const c of x.children ?? []) s += sizeOf(c);
    subtree.set(id, s);
    return s;
  };
  const incl = new Map<string, number>();
  const stack: Array<{ id: number; active: Set<string> }> = [{ id: p.nodes[0]!.id, active: new Set() }];
  while (stack.length > 0) {
    const { id, active } = stack.pop()!;
    const x = byId.get(id)!;
    const key = keyOf(x.callFrame);
    let next = active;
    if (!active.has(key)) {
      incl.set(key, (incl.get(key) ?? 0) + sizeOf(id));
      next = new Set(active).add(key);
    }
    for (const c of x.children ?? []) stack.push({ id: c, active: next });
  }
  const fmt = (m: Map<string, number>) =>
    [...m.entries()]
      .filter(([k]) => k !== '(root)')
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, hits]) => `${((hits / total) * 100).toFixed(1).padStart(5)}%  ${k}`);
  return { self: fmt(self), inclusive: fmt(incl) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const s = summarizeProfile(process.argv[2]!, Number(process.argv[3] ?? 25));
  console.log('self time:');
  for (const l of s.self) console.log(`  ${l}`);
  console.log('inclusive time:');
  for (const l of s.inclusive) console.log(`  ${l}`);
}
