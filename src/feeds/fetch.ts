/**
 * One download of a feed, bounded: a size cap (counted as bytes arrive, so a server that
 * lies about Content-Length or never ends costs at most the cap), one deadline for
 * headers and body, a gzip body inflated with a cap of its own; or a local file (the
 * feeds file confines those to the config directory). Failures are SP_ERR_FEED naming
 * the feed, never the URL's secrets (APIBAN's key is in its path: callers pass `shown`).
 */
import { readFile, realpath, stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { SipprotError } from '../core/errors.js';
import { causeOf, readCappedBody } from '../platform/capped-body.js';

const gunzipAsync = promisify(gunzip);

export interface FetchLimits {
  /** Whole download, ms. */
  timeoutMs: number;
  /** Bytes read at most (compressed size for gzip). */
  maxBytes: number;
  /** Bytes after gunzip at most. */
  maxUncompressed: number;
}

export const LIST_LIMITS: FetchLimits = {
  timeoutMs: 60_000,
  maxBytes: 32 * 1024 * 1024,
  maxUncompressed: 128 * 1024 * 1024,
};
/** One APIBAN batch is 250 addresses: ~10 kB. */
export const APIBAN_LIMITS: FetchLimits = {
  timeoutMs: 30_000,
  maxBytes: 1024 * 1024,
  maxUncompressed: 1024 * 1024,
};

export interface Fetched {
  status: number;
  /** Decoded as UTF-8 (invalid bytes replaced: a list is ASCII, junk is judged by the parser). */
  text: string;
  /** Raw byte count (before gunzip). */
  bytes: number;
}

const fail = (feed: string, why: string, cause?: unknown) =>
  new SipprotError('SP_ERR_FEED', `feed ${feed}: ${why}`, cause === undefined ? {} : { cause });

async function decode(feed: string, raw: Uint8Array, limits: FetchLimits): Promise<string> {
  let bytes = raw;
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = await gunzipAsync(bytes, { maxOutputLength: limits.maxUncompressed });
    } catch (e) {
      throw fail(feed, `the gzip data is damaged or larger than ${limits.maxUncompressed} bytes`, e);
    }
  }
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}

async function readBody(
  feed: string,
  res: Response,
  limits: FetchLimits,
  expired: () => boolean,
): Promise<Uint8Array> {
  const r = await readCappedBody(res, limits.maxBytes);
  if ('bytes' in r) return r.bytes;
  const p = r.problem;
  switch (p.kind) {
    case 'declared-too-big':
      throw fail(feed, `the download is ${p.declared} bytes, more than the ${limits.maxBytes}-byte limit`);
    case 'too-big':
      throw fail(feed, `the download passed the ${limits.maxBytes}-byte limit`);
    case 'broke-off':
      throw fail(
        feed,
        expired()
          ? `no complete answer within ${limits.timeoutMs / 1000} s`
          : `the download broke off after ${p.size} bytes`,
        p.cause,
      );
    case 'truncated':
      throw fail(feed, `got ${p.got} of ${p.declared} bytes (truncated download)`);
  }
}

/** GET `url` (http or https). Any status is returned; callers judge it. */
export async function httpGet(feed: string, url: string, limits: FetchLimits): Promise<Fetched> {
  const ctrl = new AbortController();
  let expired = false;
  const timer = setTimeout(() => {
    expired = true;
    ctrl.abort();
  }, limits.timeoutMs);
  try {
    let res: Response;
    try {
      res = await fetch(url, {
        signal: ctrl.signal,
        redirect: 'follow',
        headers: { 'user-agent': 'sipprot (blocklist feed)', accept: 'text/plain, application/json, */*' },
      });
    } catch (e) {
      throw fail(
        feed,
        expired ? `no answer within ${limits.timeoutMs / 1000} s` : `download failed: ${causeOf(e)}`,
        e,
      );
    }
    const raw = await readBody(feed, res, limits, () => expired);
    return { status: res.status, text: await decode(feed, raw, limits), bytes: raw.length };
  } finally {
    clearTimeout(timer);
  }
}

/** A local source file; `dir` (the config directory) must hold it after symlinks are resolved. */
export async function readLocal(
  feed: string,
  path: string,
  dir: string,
  limits: FetchLimits,
): Promise<Fetched> {
  let real: string;
  let realDir: string;
  try {
    [real, realDir] = await Promise.all([realpath(path), realpath(dir)]);
  } catch (e) {
    throw fail(feed, `cannot read ${path}: ${(e as Error).message}`, e);
  }
  if (!real.startsWith(`${realDir.replace(/\/$/, '')}/`)) {
    throw fail(feed, `only files in the config directory ${dir} are read (${path} is not)`);
  }
  const st = await stat(real);
  if (!st.isFile()) throw fail(feed, `${path} is not a regular file`);
  if (st.size > limits.maxBytes)
    throw fail(feed, `${path} is ${st.size} bytes, more than the ${limits.maxBytes}-byte limit`);
  const raw = await readFile(real);
  return { status: 200, text: await decode(feed, raw, limits), bytes: raw.length };
}
