/**
 * Gets the bytes of an update source (an http(s) URL or a file) and turns them into
 * parsed rows: plain or gzip CSV (IPv4 and/or IPv6 rows), or a sipprot table file as
 * another host of the cluster writes it. Every failure is SP_ERR_GEOIP naming the source.
 */
import { readFile, realpath, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { SipprotError } from '../core/errors.js';
import { decodeGeoBin, isGeoBin } from '../core/geoip/bin.js';
import { isCountryCode } from '../core/geoip/countries.js';
import { type GeoCsvAnyResult, parseGeoCsvAny } from '../core/geoip/csv.js';
import { type BodyProblem, causeOf, readCappedBody } from '../platform/capped-body.js';
import { gunzipCapped, isGzip } from './files.js';

export interface SourceOptions {
  /** Injected for tests; defaults to Node's global fetch. */
  fetch?: typeof fetch;
  /** Whole download (headers and body), ms. */
  timeoutMs?: number;
  /** Cap on the bytes read (compressed size for gzip). */
  maxBytes?: number;
  /** Cap on the size after gunzip. */
  maxUncompressedBytes?: number;
  /**
   * Local files must lie in this directory (symlinks resolved): a source taken from the
   * config (GEOIP_UPDATE_URL, editable from the web UI) must not make root read any file.
   */
  confineTo?: string;
}

const DEFAULT_TIMEOUT_MS = 120_000;
/** The upstream CSVs are 10 and 13 MB. */
const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;
const DEFAULT_MAX_UNCOMPRESSED = 256 * 1024 * 1024;

interface SourceData {
  what: string;
  bytes: Uint8Array;
  /** Last-Modified of a download or mtime of a file: the data's date, when known. */
  modified: Date | null;
}

const err = (what: string, why: string): SipprotError => new SipprotError('SP_ERR_GEOIP', `${what}: ${why}`);

async function download(url: string, opts: SourceOptions): Promise<SourceData> {
  const fetchFn = opts.fetch ?? globalThis.fetch;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  const ctrl = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    ctrl.abort();
  }, timeoutMs);
  try {
    let res: Response;
    try {
      res = await fetchFn(url, { signal: ctrl.signal, redirect: 'follow' });
    } catch (e) {
      throw err(url, timedOut ? `no answer within ${timeoutMs / 1000} s` : `download failed: ${causeOf(e)}`);
    }
    if (!res.ok) {
      await res.body?.cancel().catch(() => {});
      throw err(url, `download failed: HTTP ${res.status} ${res.statusText}`.trim());
    }
    const r = await readCappedBody(res, maxBytes);
    if ('problem' in r) throw err(url, bodyProblem(r.problem, maxBytes, timedOut, timeoutMs));
    const bytes = r.bytes;
    const lm = res.headers.get('last-modified');
    const modified = lm ? new Date(lm) : null;
    return { what: url, bytes, modified: modified && !Number.isNaN(modified.getTime()) ? modified : null };
  } finally {
    clearTimeout(timer);
  }
}

function bodyProblem(p: BodyProblem, maxBytes: number, timedOut: boolean, timeoutMs: number): string {
  switch (p.kind) {
    case 'declared-too-big':
      return `${p.declared} bytes is more than the ${maxBytes}-byte limit`;
    case 'too-big':
      return `more than the ${maxBytes}-byte limit`;
    case 'broke-off':
      return timedOut
        ? `download not finished within ${timeoutMs / 1000} s`
        : `download broke off after ${p.size} bytes: ${causeOf(p.cause)}`;
    case 'truncated':
      return `got ${p.got} of ${p.declared} bytes (truncated download)`;
  }
}

async function readLocal(path: string, opts: SourceOptions): Promise<SourceData> {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  if (opts.confineTo !== undefined) await assertConfined(path, opts.confineTo);
  let st: Awaited<ReturnType<typeof stat>>;
  try {
    st = await stat(path);
  } catch (e) {
    throw err(path, `cannot read: ${(e as Error).message}`);
  }
  if (!st.isFile()) throw err(path, 'not a regular file');
  if (st.size > maxBytes) throw err(path, `${st.size} bytes is more than the ${maxBytes}-byte limit`);
  try {
    return { what: path, bytes: await readFile(path), modified: st.mtime };
  } catch (e) {
    throw err(path, `cannot read: ${(e as Error).message}`);
  }
}

async function assertConfined(path: string, dir: string): Promise<void> {
  let real: string;
  let realDir: string;
  try {
    [real, realDir] = await Promise.all([realpath(path), realpath(dir)]);
  } catch (e) {
    throw err(path, `cannot read: ${(e as Error).message}`);
  }
  if (!real.startsWith(`${realDir.replace(/\/$/, '')}/`)) {
    throw err(path, `only files in the config directory ${dir} are read (put the update file there)`);
  }
}

/** An http(s) URL, a file: URL or a path. */
export async function fetchSource(from: string, opts: SourceOptions = {}): Promise<SourceData> {
  if (/^https?:\/\//i.test(from)) return download(from, opts);
  if (/^file:\/\//i.test(from)) return readLocal(fileURLToPath(from), opts);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(from))
    throw err(from, 'only http://, https:// and file paths are supported');
  return readLocal(from, opts);
}

/** Bytes → rows, whatever the form; a table file becomes its rows so it is checked the same way. */
export async function parseSource(data: SourceData, opts: SourceOptions = {}): Promise<GeoCsvAnyResult> {
  let bytes = data.bytes;
  if (isGzip(bytes))
    bytes = await gunzipCapped(bytes, opts.maxUncompressedBytes ?? DEFAULT_MAX_UNCOMPRESSED, data.what);
  if (isGeoBin(bytes)) {
    let decoded: ReturnType<typeof decodeGeoBin>;
    try {
      decoded = decodeGeoBin(bytes);
    } catch (e) {
      throw err(data.what, (e as Error).message);
    }
    const unknown = decoded.table.countries.filter((c) => !isCountryCode(c));
    if (unknown.length > 0) throw err(data.what, `table holds unknown country codes ${unknown.join(', ')}`);
    return {
      v4: decoded.table.toRanges(4),
      v6: decoded.table.toRanges(6),
      errors: [],
      errorCount: 0,
      countryErrors: 0,
      sorted: true,
    };
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw err(data.what, 'neither CSV text nor a sipprot geo-IP table (binary data)');
  }
  return parseGeoCsvAny(text);
}
