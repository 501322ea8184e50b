/**
 * One webhook POST, with the care a URL from the config deserves (issue 15 item 4):
 * - http: and https: only (checked again here, whatever the config parser let through);
 *   TLS certificates are verified (Node's default; no option turns it off);
 * - redirects are never followed: a 3xx is a failure that names the status, so a receiver
 *   cannot bounce the request (and its body) to another host, an internal one included;
 * - bounded: the whole exchange within TIMEOUT_MS, the request body as queued (≤ 512 KiB),
 *   at most MAX_RESPONSE bytes of the answer read (kept only for the error message);
 * - the URL's path and query (where Slack, Discord and Teams keep their secret) never
 *   appear in a result or an error: callers log `where` (scheme and host) only.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

const TIMEOUT_MS = 10_000;
const MAX_RESPONSE = 16 * 1024;

export interface PostResult {
  ok: boolean;
  /** HTTP status, or null when no answer came (connection, DNS, timeout). */
  status: number | null;
  /** Worth trying again later: network errors, timeouts, 408, 429, 5xx. */
  retry: boolean;
  /** Seconds the receiver asked to wait (Retry-After), if it did. */
  retryAfter: number | null;
  /** What happened, in words, without the URL's secret parts. */
  message: string;
}

/** Scheme and host of a URL: what logs and the UI may show. */
export function whereOf(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    return '(invalid URL)';
  }
}

function retryAfterOf(v: string | string[] | undefined): number | null {
  const s = Array.isArray(v) ? v[0] : v;
  if (!s) return null;
  if (/^\d{1,7}$/.test(s.trim())) return Number(s.trim());
  const t = Date.parse(s);
  return Number.isNaN(t) ? null : Math.max(0, Math.round((t - Date.now()) / 1000));
}

function classify(status: number, snippet: string, retryAfter: number | null): PostResult {
  if (status >= 200 && status < 300)
    return { ok: true, status, retry: false, retryAfter, message: `HTTP ${status}` };
  const said = snippet.trim()
    ? `: ${snippet
        .trim()
        .slice(0, 200)
        .replace(/[\u0000-\u001f\u007f]+/g, ' ')}`
    : '';
  if (status >= 300 && status < 400) {
    return {
      ok: false,
      status,
      retry: false,
      retryAfter: null,
      message: `HTTP ${status}: redirects are not followed (use the final URL)`,
    };
  }
  const retry = status === 408 || status === 429 || status >= 500;
  return { ok: false, status, retry, retryAfter, message: `HTTP ${status}${said}` };
}

/** POSTs `body` (JSON) to `url`; never rejects. */
export function postJson(
  url: string,
  body: string,
  userAgent: string,
  timeoutMs = TIMEOUT_MS,
): Promise<PostResult> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return Promise.resolve({
      ok: false,
      status: null,
      retry: false,
      retryAfter: null,
      message: 'not a valid URL',
    });
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    return Promise.resolve({
      ok: false,
      status: null,
      retry: false,
      retryAfter: null,
      message: `${u.protocol} URLs are not allowed`,
    });
  }
  const request = u.protocol === 'https:' ? httpsRequest : httpRequest;
  const payload = Buffer.from(body, 'utf8');
  return new Promise<PostResult>((resolve) => {
    let done = false;
    const finish = (r: PostResult) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(r);
    };
    const req = request(
      u,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'content-length': payload.length,
          'user-agent': userAgent,
          accept: '*/*',
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          if (size < MAX_RESPONSE) chunks.push(c.subarray(0, MAX_RESPONSE - size));
          size += c.length;
          if (size >= MAX_RESPONSE * 4) res.destroy();
        });
        const end = () =>
          finish(
            classify(
              res.statusCode ?? 0,
              Buffer.concat(chunks).toString('utf8'),
              retryAfterOf(res.headers['retry-after']),
            ),
          );
        res.on('end', end);
        res.on('close', end);
        res.on('error', end);
      },
    );
    const timer = setTimeout(() => {
      req.destroy();
      finish({
        ok: false,
        status: null,
        retry: true,
        retryAfter: null,
        message: `no answer within ${timeoutMs / 1000} s`,
      });
    }, timeoutMs);
    req.on('error', (e: NodeJS.ErrnoException) => {
      // Node's messages name the host and port at most, never the path.
      finish({
        ok: false,
        status: null,
        retry: true,
        retryAfter: null,
        message: e.code ? `${e.code} ${whereOf(url)}` : 'connection failed',
      });
    });
    req.end(payload);
  });
}
