/**
 * The CLI's client of a running daemon: the Admin port spoken over the daemon's root-only
 * Unix socket (STATE_DIR/sipprotd.sock), so CLI changes reach the live firewall at once.
 * Each call has a 30 s time limit; a daemon that does not answer is SP_ERR_DAEMON_NOT_RUNNING.
 * connectDaemon finds it, and waits for one that is starting (issue 15: a command right after
 * `sipprotd start` must not work behind the back of a daemon that has already read the files).
 */
import { statSync } from 'node:fs';
import { request } from 'node:http';
import { SipprotError, type SipprotErrorCode } from '../core/errors.js';
import type { ListName } from '../core/types.js';
import { readPid, START_BUDGET_MS } from '../platform/pid-file.js';
import type { RuntimePaths } from '../platform/runtime-paths.js';
import type { Admin, ChangeOptions, HistoryAnswer, HistoryRequest, OpenAlert } from '../ports/admin.js';

/**
 * The Admin interface spoken to a running daemon over its Unix socket, so CLI changes
 * apply to the live firewall at once. Errors come back as the API's error shape and
 * are turned into the same SipprotError the local path would have thrown.
 */
export class HttpAdmin implements Admin {
  constructor(private readonly socketPath: string) {}

  status() {
    return this.call<Awaited<ReturnType<Admin['status']>>>('GET', '/api/status');
  }
  check(ip: string) {
    return this.call<Awaited<ReturnType<Admin['check']>>>('GET', `/api/check/${encodeURIComponent(ip)}`);
  }
  listEntries(name: ListName) {
    return this.call<Awaited<ReturnType<Admin['listEntries']>>>('GET', `/api/lists/${name}`);
  }
  addEntries(name: ListName, entries: Parameters<Admin['addEntries']>[1], opts?: ChangeOptions) {
    return this.call<Awaited<ReturnType<Admin['addEntries']>>>('POST', `/api/lists/${name}`, {
      entries,
      ...wireOptions(opts),
    });
  }
  removeEntries(name: ListName, networks: string[], opts?: ChangeOptions) {
    return this.call<Awaited<ReturnType<Admin['removeEntries']>>>('POST', `/api/lists/${name}/remove`, {
      networks,
      ...wireOptions(opts),
    });
  }
  removeAll(name: ListName, opts?: ChangeOptions) {
    return this.call<Awaited<ReturnType<Admin['removeAll']>>>('POST', `/api/lists/${name}/remove`, {
      all: true,
      ...wireOptions(opts),
    });
  }
  importCsv(name: ListName, csv: string, opts: { skipInvalid: boolean } & ChangeOptions) {
    return this.call<Awaited<ReturnType<Admin['importCsv']>>>('POST', `/api/lists/${name}/import`, {
      csv,
      skipInvalid: opts.skipInvalid,
      ...wireOptions(opts),
    });
  }
  exportCsv(name: ListName) {
    return this.call<string>('GET', `/api/lists/${name}/export`);
  }
  feedEntries() {
    return this.call<Awaited<ReturnType<Admin['feedEntries']>>>('GET', '/api/feeds/entries');
  }
  dynamicBlocks() {
    return this.call<Awaited<ReturnType<Admin['dynamicBlocks']>>>('GET', '/api/dynamic');
  }
  unblock(ip: string) {
    return this.call<Awaited<ReturnType<Admin['unblock']>>>(
      'DELETE',
      `/api/dynamic/${encodeURIComponent(ip)}`,
    );
  }
  history(q: HistoryRequest) {
    return this.call<HistoryAnswer>('GET', `/api/history?${historyQueryString(q)}`);
  }
  alerts() {
    return this.call<OpenAlert[]>('GET', '/api/alerts');
  }
  acknowledgeAlerts(ids: number[] | 'all') {
    return this.call<{ acknowledged: number[] }>(
      'POST',
      '/api/alerts/ack',
      ids === 'all' ? { all: true } : { ids },
    );
  }

  /** Raw call for routes outside the Admin interface (reload, geoip, recipients...). */
  call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise<T>((resolve, reject) => {
      const req = request(
        {
          socketPath: this.socketPath,
          method,
          path,
          headers: payload
            ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
            : {},
          timeout: 30_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const isJson = (res.headers['content-type'] ?? '').includes('application/json');
            const value = isJson && text ? JSON.parse(text) : text;
            if ((res.statusCode ?? 500) >= 400) {
              const err = (value as { error?: { code?: string; message?: string; details?: unknown } }).error;
              reject(
                new SipprotError(
                  (err?.code as SipprotErrorCode) ?? 'SP_ERR_USAGE',
                  err?.message ?? `daemon answered ${res.statusCode}`,
                  { details: err?.details },
                ),
              );
            } else resolve(value as T);
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer from sipprotd on ${this.socketPath}`)));
      req.on('error', (e) =>
        reject(new SipprotError('SP_ERR_DAEMON_NOT_RUNNING', `sipprotd: ${e.message}`, { cause: e })),
      );
      if (payload) req.write(payload);
      req.end();
    });
  }
}

/** The lock-out guard's options as the list routes take them (the socket honours `requester`). */
function wireOptions(opts: ChangeOptions | undefined): { force?: true; requester?: string } {
  return {
    ...(opts?.force ? { force: true as const } : {}),
    ...(opts?.requester ? { requester: opts.requester } : {}),
  };
}

/** A history request as the route's query string (api/wire/history.ts): the route's names. */
export function historyQueryString(q: HistoryRequest): string {
  const p = new URLSearchParams({ limit: String(q.limit) });
  const set = (k: string, v: string | number | undefined) => {
    if (v !== undefined) p.set(k, String(v));
  };
  set('ip', q.subject);
  set('network', q.network);
  set('kind', q.kinds?.join(','));
  set('reason', q.reason);
  set('country', q.country);
  set('ua', q.userAgent);
  set('user', q.user);
  set('actor', q.actor);
  set('since', q.since);
  set('until', q.until);
  set('page', q.page);
  return p.toString();
}

/** True when something answers on the socket (a stale socket file answers nothing). */
export async function daemonAnswers(socketPath: string): Promise<boolean> {
  try {
    await new HttpAdmin(socketPath).call('GET', '/api/status');
    return true;
  } catch {
    return false;
  }
}

/**
 * How long a command waits for a daemon that is starting before it gives up and says so: as
 * long as `sipprotd start` gives it (it was 10 s, and a daemon restoring a big state on a
 * loaded host was refused to the admin while it was still starting as it should).
 */
export const START_WAIT_MS = START_BUDGET_MS;
/**
 * A PID file younger than this belongs to a daemon that may still be starting (pid-file.ts
 * START_BUDGET_MS). An older PID file whose socket does not answer is a stuck daemon or a PID
 * taken over by another process after a crash: the command works on the files, as before.
 */
const STARTING_FOR_MS = START_BUDGET_MS;
const POLL_MS = 100;

/**
 * The running daemon's API; null when no daemon runs (no PID file or a stale one: the command
 * works on the files and the store). A daemon that is starting (a fresh PID file, no answer
 * yet) is waited for up to `waitMs`, said once through `waiting`; one that still does not
 * answer then is SP_ERR_DAEMON_NOT_RUNNING, naming its log.
 */
export async function connectDaemon(
  paths: RuntimePaths,
  opts: { waiting?: (text: string) => void; waitMs?: number; now?: () => number } = {},
): Promise<HttpAdmin | null> {
  const now = opts.now ?? Date.now;
  const waitMs = opts.waitMs ?? START_WAIT_MS;
  const deadline = now() + waitMs;
  let said = false;
  let fresh: boolean | null = null;
  for (;;) {
    const pid = readPid(paths.pidFile);
    if (pid === null) return null;
    if (await daemonAnswers(paths.socket)) return new HttpAdmin(paths.socket);
    // Decided once: a daemon waited for stays waited for until the deadline.
    fresh ??= starting(paths.pidFile, now());
    if (!fresh) return null;
    if (now() >= deadline) {
      throw new SipprotError(
        'SP_ERR_DAEMON_NOT_RUNNING',
        `sipprotd (pid ${pid}) is starting but did not answer on ${paths.socket} within ${waitMs / 1000} s: ` +
          `see ${paths.logFile}, and try again when \`sipprotd status\` says it is running`,
      );
    }
    if (!said) {
      opts.waiting?.(
        `sipprotd (pid ${pid}) is starting: waiting up to ${waitMs / 1000} s for it to answer\n`,
      );
      said = true;
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** Whether the PID file was written so recently that its daemon may still be starting. */
function starting(pidFile: string, now: number): boolean {
  try {
    return now - statSync(pidFile).mtimeMs < STARTING_FOR_MS;
  } catch {
    return false;
  }
}
