/**
 * One mapping from a failed file operation to a SipprotError, for every adapter that
 * writes files: a permission problem (EACCES, EPERM, EROFS) is SP_ERR_PERMISSION with a
 * hint to run as root; anything else gets the code of the caller's domain (a list file
 * fails with SP_ERR_LIST_IO, sipprot.conf with SP_ERR_CONFIG_IO), so the admin is told
 * which file of which kind could not be changed. The errno error is kept as `cause`.
 */
import { SipprotError, type SipprotErrorCode } from '../core/errors.js';

export function fileError(code: SipprotErrorCode, what: string, path: string, e: unknown): SipprotError {
  const err = e as NodeJS.ErrnoException;
  const errno = err?.code ?? '';
  const text = err?.message ?? String(e);
  if (errno === 'EACCES' || errno === 'EPERM' || errno === 'EROFS') {
    return new SipprotError('SP_ERR_PERMISSION', `cannot ${what} ${path}: ${text} (run as root?)`, {
      cause: e,
    });
  }
  return new SipprotError(code, `cannot ${what} ${path}: ${text}`, { cause: e });
}
