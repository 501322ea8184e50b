/**
 * Allow and deny lists as CSV (RFC 4180: quoted fields, "" escapes, CRLF or LF): the import
 * a spreadsheet or another tool hands the admin (web UI upload, `sipprot deny import`), and
 * the export back. Pure. Every record is checked like a list-file line (lists.ts); a bad one
 * is reported with the line it starts on, never silently dropped.
 */
import { checkNetwork } from '../net/ip.js';
import { csvCell, csvPlain, FORMULA_START } from '../text/csv.js';
import type { ListEntry } from '../types.js';
import { entryRefusal } from './entries.js';
import { cleanNote, type ListLineError, type ListParseResult, mergeEntries } from './lists.js';

const CSV_HEADER = 'network,note';

/** What the UI's "download template" gives: the header and two documentation examples. */
export const CSV_TEMPLATE =
  `${CSV_HEADER}\r\n` + '192.0.2.10,Office phone\r\n' + '"198.51.100.0/24","Branch office, all phones"\r\n';

interface CsvRecord {
  line: number;
  text: string;
  fields: string[];
}

function csvRecords(text: string): { records: CsvRecord[]; errors: ListLineError[] } {
  const records: CsvRecord[] = [];
  const errors: ListLineError[] = [];
  const s = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const n = s.length;
  let i = 0;
  let line = 1;
  const atEol = (j: number) => j >= n || s[j] === '\n' || (s[j] === '\r' && s[j + 1] === '\n');
  const eolLength = (j: number) => (j >= n ? 0 : s[j] === '\n' ? 1 : 2);
  while (i < n) {
    const start = i;
    const startLine = line;
    const fields: string[] = [];
    let error: string | null = null;
    for (;;) {
      let field = '';
      if (s[i] === '"') {
        i++;
        for (;;) {
          if (i >= n) {
            error = 'a quoted field is not closed (missing ")';
            break;
          }
          if (s[i] === '"') {
            if (s[i + 1] === '"') {
              field += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (s[i] === '\n') line++;
          field += s[i++];
        }
        if (!error && !atEol(i) && s[i] !== ',') error = 'unexpected text after a closing quote';
      } else {
        while (!atEol(i) && s[i] !== ',') field += s[i++];
      }
      if (error) break;
      fields.push(field);
      if (s[i] === ',') {
        i++;
        continue;
      }
      break;
    }
    if (error) {
      // Resynchronise at the end of the physical line the bad record started on.
      const nl = s.indexOf('\n', start);
      i = nl < 0 ? n : nl + 1;
      line = startLine + 1;
      errors.push({
        line: startLine,
        text: s.slice(start, nl < 0 ? n : nl).replace(/\r$/, ''),
        message: error,
      });
      continue;
    }
    const end = i;
    i += eolLength(i);
    line++;
    records.push({ line: startLine, text: s.slice(start, end), fields });
  }
  return { records, errors };
}

const NETWORK_HEADERS = new Set(['network', 'ip', 'address', 'ip address', 'cidr', 'network or ip address']);
const NOTE_HEADERS = new Set(['note', 'notes', 'comment', 'description']);

/**
 * CSV with `network,note` columns; the header is optional (when present, columns are
 * found by name and others ignored). Blank rows and rows starting with `#` are skipped.
 * Errors carry the line on which the bad record starts.
 */
export function parseCsv(text: string): ListParseResult {
  const { records, errors } = csvRecords(text);
  const entries: ListEntry[] = [];
  let networkCol = 0;
  let noteCol: number | null = 1;
  let headerSeen = false;
  // An unquoted comma in a note shows up as an extra field: report it rather than cut the note.
  let width = 2;
  let columns = 'network,note';
  for (const rec of records) {
    const fields = rec.fields.map((f) => f.trim());
    if (fields.every((f) => f === '') || fields[0]!.startsWith('#')) continue;
    if (!headerSeen) {
      headerSeen = true;
      const lower = fields.map((f) => f.toLowerCase());
      const nc = lower.findIndex((f) => NETWORK_HEADERS.has(f));
      if (nc >= 0) {
        networkCol = nc;
        const noteIdx = lower.findIndex((f) => NOTE_HEADERS.has(f));
        noteCol = noteIdx >= 0 ? noteIdx : null;
        width = fields.length;
        columns = rec.text.trim();
        continue;
      }
    }
    const fail = (message: string) => errors.push({ line: rec.line, text: rec.text, message });
    if (fields.slice(width).some((f) => f !== '')) {
      fail(
        `expected ${width} fields (${columns}), found ${fields.length}: quote a note that contains a comma`,
      );
      continue;
    }
    const networkText = fields[networkCol] ?? '';
    if (networkText === '') {
      fail('the network field is empty');
      continue;
    }
    const r = checkNetwork(networkText);
    if (!r.ok) {
      fail(r.reason);
      continue;
    }
    const refused = entryRefusal(r.network);
    if (refused) {
      fail(refused);
      continue;
    }
    let note = noteCol === null ? '' : (rec.fields[noteCol] ?? '');
    if (note.startsWith("'") && FORMULA_START.test(note.slice(1))) note = note.slice(1);
    entries.push({ network: r.network.text, note: cleanNote(note) });
  }
  errors.sort((a, b) => a.line - b.line);
  return { entries: mergeEntries(entries).entries, errors };
}

/**
 * CSV with a header, CRLF line ends. A note that a spreadsheet would run as a formula
 * (`=`, `+`, `-`, `@`) gets a leading `'`, which parseCsv takes off again: notes can hold
 * attacker-chosen text such as a user agent.
 */
export function toCsv(entries: Iterable<ListEntry>): string {
  let out = `${CSV_HEADER}\r\n`;
  for (const e of entries) {
    out += `${csvPlain(e.network)},${csvCell(e.note)}\r\n`;
  }
  return out;
}
