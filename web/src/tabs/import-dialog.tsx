/** CSV upload for a list: shows every bad line, and offers to import the good ones. */
import { useState } from 'preact/hooks';
import type { ImportResult } from '../../../src/api/types.js';
import { messageOf, post } from '../api.js';
import { plural } from '../format.js';
import { type NoticeValue, TableHead } from '../ui/common.js';
import { Dialog } from '../ui/dialog.js';

const MAX_BYTES = 30 * 1024 * 1024;

interface ImportProps {
  open: boolean;
  name: 'allow' | 'deny';
  what: string;
  onClose(): void;
  onImported(n: NoticeValue): void;
}

export function ImportDialog(p: ImportProps) {
  const [file, setFile] = useState<File | null>(null);
  const [result, setResult] = useState<ImportResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const close = () => {
    setFile(null);
    setResult(null);
    setError(null);
    p.onClose();
  };

  const upload = async (skipInvalid: boolean) => {
    if (!file) return;
    if (file.size > MAX_BYTES) {
      setError(`${file.name} is larger than 30 MB.`);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const csv = await file.text();
      const r = await post<ImportResult>(`/api/lists/${p.name}/import`, { csv, skipInvalid });
      if (r.applied) {
        p.onImported({
          kind: r.errors.length ? 'warn' : 'ok',
          text:
            `Imported ${file.name}: ${plural(r.added.length, 'new entry', 'new entries')}, ` +
            `${plural(r.updated.length, 'existing entry', 'existing entries')} updated` +
            (r.errors.length ? `, ${plural(r.errors.length, 'invalid line')} skipped.` : '.'),
        });
        close();
      } else setResult(r);
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog open={p.open} title={`Import CSV into the ${p.what}`} onClose={close} wide>
      <form
        class="stack"
        onSubmit={(e) => {
          e.preventDefault();
          void upload(false);
        }}
      >
        <p class="help">
          One entry a line: <code>network,note</code> (a header line is optional; quote a note that contains a
          comma). Nothing is imported if a line is invalid, unless you choose to skip those lines.{' '}
          <a href="/api/lists/template.csv" download="sipprot-list-template.csv">
            Download the template
          </a>
          .
        </p>
        <div class="field">
          <label for={`${p.name}-csv`}>CSV file</label>
          <input
            id={`${p.name}-csv`}
            type="file"
            accept=".csv,text/csv,text/plain"
            onChange={(e) => {
              setFile(e.currentTarget.files?.[0] ?? null);
              setResult(null);
              setError(null);
            }}
          />
        </div>
        {error && (
          <p class="field-error" role="alert">
            {error}
          </p>
        )}
        {result && !result.applied && (
          <div class="import-errors" role="alert">
            <p>
              <strong>Nothing was imported:</strong> {plural(result.errors.length, 'line is', 'lines are')}{' '}
              invalid.
            </p>
            <div class="table-wrap">
              <table class="table">
                <TableHead columns={['Line', 'Text', 'Problem']} />
                <tbody>
                  {result.errors.slice(0, 200).map((e) => (
                    <tr key={e.line}>
                      <td>{e.line}</td>
                      <td class="mono">{e.text}</td>
                      <td>{e.message}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            {result.errors.length > 200 && <p class="muted">… and {result.errors.length - 200} more.</p>}
          </div>
        )}
        <div class="dialog-actions">
          <button type="button" class="button" onClick={close}>
            Cancel
          </button>
          {result && !result.applied && (
            <button type="button" class="button" disabled={busy} onClick={() => void upload(true)}>
              Skip invalid lines and import the rest
            </button>
          )}
          <button type="submit" class="button button-primary" disabled={!file || busy}>
            {busy ? 'Uploading…' : 'Upload'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
