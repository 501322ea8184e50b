/**
 * Builds data/geoip/geoip.bin.gz (run by scripts/geoip-refresh.sh): the same checks as an
 * update, so the shipped table never holds what an update would refuse. The shipped data
 * is the IPFire Location Database as Debian's tor-geoipdb carries it (data/geoip/README.md
 * says why); CSV files (start,end,country) still work.
 *
 *   node --import tsx src/geoip/build-shipped.ts --tor GEOIP GEOIP6 SOURCE DATE OUT.bin
 *   node --import tsx src/geoip/build-shipped.ts IPV4.csv IPV6.csv SOURCE DATE OUT.bin
 *   node --import tsx src/geoip/build-shipped.ts --recut IN.bin[.gz] OUT.bin
 * Special-purpose ranges are cut out either way (core/geoip/reserved.ts); --recut applies
 * that to an existing table without its CSV (how the issue-10 table was made).
 * The script then compresses OUT.bin with `gzip -9n` (smaller than Node's zlib at level 9,
 * and no timestamp, so the same input gives the same file).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { encodeGeoBin } from '../core/geoip/bin.js';
import { parseGeoCsvAny } from '../core/geoip/csv.js';
import { describeHits, withoutReserved } from '../core/geoip/reserved.js';
import { GeoTable } from '../core/geoip/table.js';
import { parseTorGeoip } from '../core/geoip/tor.js';
import { checkGeoUpdate } from '../core/geoip/validate.js';
import { readTableFile } from './files.js';

/** An existing table with its special-purpose ranges cut; source and date kept. */
async function recut(input: string, out: string): Promise<number> {
  const { table, meta } = await readTableFile(input);
  const r = withoutReserved(table);
  process.stdout.write(r.hits.length > 0 ? `cut: ${describeHits(r.hits, 100)}\n` : 'nothing to cut\n');
  const t = r.table;
  const bin = encodeGeoBin(t, {
    source: meta.source,
    date: meta.date,
    v4Ranges: t.v4Ranges,
    v6Ranges: t.v6Ranges,
  });
  await writeFile(out, bin);
  process.stdout.write(`${out}: ${bin.length} bytes; ${t.v4Ranges} IPv4 + ${t.v6Ranges} IPv6 ranges\n`);
  return 0;
}

async function main(argv: string[]): Promise<number> {
  if (argv[0] === '--recut' && argv[1] && argv[2]) return recut(argv[1], argv[2]);
  const tor = argv[0] === '--tor';
  const [v4Path, v6Path, source, date, out] = tor ? argv.slice(1) : argv;
  if (!v4Path || !v6Path || !source || !date || !out || !/^\d{4}-\d{2}-\d{2}$/.test(date)) {
    process.stderr.write('usage: build-shipped.ts IPV4.csv IPV6.csv SOURCE YYYY-MM-DD OUT.bin\n');
    return 2;
  }
  const sources = [];
  for (const [path, family] of [
    [v4Path, 4],
    [v6Path, 6],
  ] as const) {
    const text = await readFile(path, 'utf8');
    if (!tor) {
      sources.push({ what: basename(path), parsed: parseGeoCsvAny(text) });
      continue;
    }
    const t = parseTorGeoip(text, family);
    const skipped = Object.entries(t.skipped).map(([cc, n]) => `${cc} ${n}`);
    if (skipped.length > 0)
      process.stdout.write(`${basename(path)}: left out (not a country): ${skipped.join(', ')}\n`);
    sources.push({ what: basename(path), parsed: t.parsed });
  }
  const check = checkGeoUpdate(sources, { current: { v4Ranges: 0, v6Ranges: 0 } });
  if (!check.ok) {
    process.stderr.write(`refused: ${check.reason}\n`);
    return 1;
  }
  for (const w of check.warnings) process.stderr.write(`warning: ${w}\n`);
  if (!check.v4 || !check.v6) {
    process.stderr.write('refused: both IPv4 and IPv6 rows are needed\n');
    return 1;
  }
  const table = GeoTable.fromRanges(check.v4, check.v6);
  const bin = encodeGeoBin(table, { source, date, v4Ranges: table.v4Ranges, v6Ranges: table.v6Ranges });
  await writeFile(out, bin);
  process.stdout.write(
    `${out}: ${bin.length} bytes, ${table.byteLength} bytes of arrays in memory; ` +
      `rows ${sources.map((x) => `${x.what} ${x.parsed.v4.length + x.parsed.v6.length}`).join(', ')} → ` +
      `${table.v4Ranges} IPv4 + ${table.v6Ranges} IPv6 ranges\n`,
  );
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exit(1);
  },
);
