/** The HTTP API as the UI uses it: JSON in and out, the CSRF header on every change. */
import type { ApiErrorBody } from '../../src/api/types.js';

/** A code of the API's catalog, or one of the two the browser makes up when no answer came. */
type ErrorCode = ApiErrorBody['error']['code'] | 'SP_ERR_NETWORK' | 'SP_ERR_HTTP';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

let csrfToken = '';
let onAuthLost: () => void = () => {};

export function setCsrfToken(token: string): void {
  csrfToken = token;
}

/** Called when a request finds the session gone (expired, logged out elsewhere). */
export function setAuthLostHandler(fn: () => void): void {
  onAuthLost = fn;
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') headers['x-csrf-token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch {
    throw new ApiError(0, 'SP_ERR_NETWORK', 'cannot reach sipprotd: is it running?');
  }
  const type = res.headers.get('content-type') ?? '';
  const payload: unknown = type.includes('application/json') ? await res.json() : await res.text();
  if (!res.ok) {
    const err = (payload as Partial<ApiErrorBody>)?.error;
    const e = new ApiError(
      res.status,
      err?.code ?? 'SP_ERR_HTTP',
      err?.message ?? `sipprotd answered ${res.status}`,
      err?.details,
    );
    if (e.code === 'SP_ERR_AUTH' && path !== '/api/login') onAuthLost();
    throw e;
  }
  return payload as T;
}

export const get = <T>(path: string) => api<T>('GET', path);
export const post = <T>(path: string, body: unknown = {}) => api<T>('POST', path, body);
export const patch = <T>(path: string, body: unknown) => api<T>('PATCH', path, body);
export const del = <T>(path: string) => api<T>('DELETE', path);

/** A message for the admin from anything thrown. */
export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
