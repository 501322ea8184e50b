/**
 * Serves the built web UI (web/dist: index.html, a favicon and ~2 content-hashed assets,
 * ~80 KB) read-only on GET and HEAD. Replaces @fastify/static: every 10.1.4+ release
 * pulls content-disposition 3 (ESM-only, engines node >= 22) while sipprot promises
 * Node 20, and a directory of four files needs none of its range, compression or
 * download machinery.
 *
 * The URL never reaches the filesystem unchecked: it is decoded once, every segment must
 * be a plain name (no empty, `.`, `..` or dot-file segment, no NUL or backslash), and the
 * resolved real path must stay under the real root (a symlink cannot lead out).
 * Anything else is the app's ordinary 404.
 */
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { extname, join, sep } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/** The relative file path for a URL path, or null when it is not a plain file name. */
export function staticPath(urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (!decoded.startsWith('/')) return null;
  const rel = decoded === '/' ? 'index.html' : decoded.slice(1);
  const segments = rel.split('/');
  for (const s of segments) {
    if (s === '' || s.startsWith('.') || s.includes('\0') || s.includes('\\')) return null;
  }
  return segments.join('/');
}

export interface StaticOptions {
  /** Headers per served file (relative path), e.g. cache policy. */
  headers?: (relPath: string) => Record<string, string>;
}

/** Registers GET (and fastify's automatic HEAD) `/*` answering files under `root`. */
export async function serveStaticFiles(
  app: FastifyInstance,
  root: string,
  opts: StaticOptions = {},
): Promise<void> {
  const realRoot = await realpath(root);
  app.get('/*', async (req, reply) => {
    const rel = staticPath(req.url.split('?', 1)[0] ?? '');
    if (rel === null) return reply.callNotFound();
    const file = await resolveUnder(realRoot, rel);
    if (file === null) return reply.callNotFound();
    return send(reply, file, rel, opts);
  });
}

async function resolveUnder(realRoot: string, rel: string): Promise<{ path: string; size: number } | null> {
  try {
    const path = await realpath(join(realRoot, rel));
    if (!path.startsWith(realRoot + sep)) return null;
    const st = await stat(path);
    return st.isFile() ? { path, size: st.size } : null;
  } catch {
    return null;
  }
}

function send(reply: FastifyReply, file: { path: string; size: number }, rel: string, opts: StaticOptions) {
  reply.type(TYPES[extname(rel).toLowerCase()] ?? 'application/octet-stream');
  reply.header('content-length', file.size);
  for (const [k, v] of Object.entries(opts.headers?.(rel) ?? {})) reply.header(k, v);
  return reply.send(createReadStream(file.path));
}
