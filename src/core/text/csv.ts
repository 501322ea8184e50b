/**
 * Text on its way into a CSV file (the list export, the history and blocklist exports;
 * issue 10 item 14): a cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab,
 * CR first) gets a leading `'` (list import takes it off again), controls that could act
 * on a terminal showing the file become '?', and the cell is quoted when RFC 4180 needs it.
 */
import { terminalSafe } from './terminal.js';

export const FORMULA_START = /^[=+\-@\t\r]/;

function quoted(value: string): string {
  return /[",\r\n]|^\s|\s$/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** One cell of any CSV sipprot writes. */
export function csvCell(value: string): string {
  const v = FORMULA_START.test(value) ? `'${value}` : value;
  return quoted(
    /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/.test(v) ? terminalSafe(v) : v,
  );
}

/** A cell that is ours (an address, a number): quoted when it must be, nothing else. */
export function csvPlain(value: string): string {
  return quoted(value);
}
