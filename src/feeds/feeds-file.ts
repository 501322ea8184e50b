/**
 * Reading FEEDS_FILE: a missing file is "no feeds"; a file anyone may write is refused
 * like an unsafe list (a feed line points root at a URL and fills a drop set), and every
 * bad line is reported with its file line while the good lines still load (a typo in one
 * feed must not switch the others off, nor stop the daemon). A file holding an APIBAN key
 * that others may read is warned about.
 */
import { readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type FeedSpec, parseFeedsFile } from '../core/feeds/spec.js';
import { unsafeFileReason } from '../platform/file-safety.js';

export interface FeedsFileRead {
  specs: FeedSpec[];
  /** One sentence per problem, naming the file and line. */
  problems: string[];
  /** Worth fixing, did not stop anything. */
  warnings: string[];
}

export async function readFeedsFile(path: string): Promise<FeedsFileRead> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { specs: [], problems: [], warnings: [] };
    return {
      specs: [],
      problems: [`cannot read the feeds file ${path}: ${(e as Error).message}`],
      warnings: [],
    };
  }
  const unsafe = unsafeFileReason(path);
  if (unsafe) return { specs: [], problems: [`the feeds file is not loaded: ${unsafe}`], warnings: [] };
  const r = parseFeedsFile(text, dirname(path));
  const problems = r.problems.map((p) => `${path}${p.line ? `:${p.line}` : ''}: ${p.message}`);
  const warnings: string[] = [];
  if (r.specs.some((s) => s.key !== null)) {
    const mode = (await stat(path)).mode;
    if (mode & 0o044) {
      warnings.push(`${path} holds an API key and others may read it: run chmod 600 ${path}`);
    }
  }
  return { specs: r.specs, problems, warnings };
}
