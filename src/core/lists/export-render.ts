/**
 * The blocklist export as files other tools read (issue 15 item 7):
 * - text: one network a line (`#` comment header), what most SBC and router "URL list"
 *   imports take (FireHOL/VoIPBL style);
 * - csv: network,origins,reason,expires_at,note (RFC 4180, CRLF, formula-guarded cells);
 * - json: a versioned document (`"version": 1`), times in epoch seconds;
 * - nft: an `nft -f` script that replaces the elements of two interval sets in one
 *   transaction (the sets are created when missing; the consumer's own rule drops them);
 * - ipset: an `ipset -exist restore` script that fills a fresh set and swaps it in atomically.
 * Temporary blocks carry their remaining time as a timeout in nft and ipset, so a consumer
 * that stops pulling lets them lapse like sipprot does. Nothing but canonical networks,
 * numbers and validated names reaches the nft and ipset scripts.
 */

import { csvCell } from '../text/csv.js';
import type { BlockExport, ExportedBlock } from './export.js';

export const EXPORT_FORMATS = ['text', 'csv', 'json', 'nft', 'ipset'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** Media types the HTTP endpoint answers with. */
export const EXPORT_MEDIA: Record<ExportFormat, string> = {
  text: 'text/plain; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  json: 'application/json; charset=utf-8',
  nft: 'text/plain; charset=utf-8',
  ipset: 'text/plain; charset=utf-8',
};

/** nft table/set and ipset names: letters, digits, `_` and `-`, short enough for ipset (31 with "-blocked4-new"). */
export const EXPORT_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,17}$/;
export const DEFAULT_EXPORT_NAME = 'sipprot';

export interface RenderOptions {
  /** nft table `inet NAME` with sets blocked4/blocked6; ipset sets NAME-blocked4/-6. */
  name?: string;
}

const iso = (t: number) => new Date(Math.round(t) * 1000).toISOString().replace('.000Z', 'Z');

function header(x: BlockExport): string {
  const how = x.aggregated ? ', aggregated' : '';
  const cut = x.cut > 0 ? `; ${x.cut} entries cut by the allow list` : '';
  return (
    `# sipprot blocklist: ${x.blocks.length} networks (${x.include.join(', ')}${how}), ` +
    `generated ${iso(x.generatedAt)}${cut}\n`
  );
}

/** Seconds a temporary block has left (at least 1), or null for a permanent one. */
function timeout(b: ExportedBlock, now: number): number | null {
  return b.expiresAt === null ? null : Math.max(1, Math.ceil(b.expiresAt - now));
}

export function renderExport(x: BlockExport, format: ExportFormat, o: RenderOptions = {}): string {
  const name = o.name ?? DEFAULT_EXPORT_NAME;
  if (!EXPORT_NAME.test(name)) throw new RangeError(`export name '${name}' is not allowed`);
  switch (format) {
    case 'text':
      return header(x) + x.blocks.map((b) => `${b.network}\n`).join('');
    case 'csv':
      return renderCsv(x);
    case 'json':
      return `${JSON.stringify(exportDocument(x), null, 1)}\n`;
    case 'nft':
      return renderNft(x, name);
    case 'ipset':
      return renderIpset(x, name);
  }
}

function renderCsv(x: BlockExport): string {
  let out = 'network,origins,reason,expires_at,note\r\n';
  for (const b of x.blocks) {
    const cells = [
      b.network,
      b.origins.join(' '),
      b.reason ?? '',
      b.expiresAt === null ? '' : iso(b.expiresAt),
      b.note ?? '',
    ];
    out += `${cells.map(csvCell).join(',')}\r\n`;
  }
  return out;
}

/** The JSON document (version 1) of an export. */
export function exportDocument(x: BlockExport) {
  return {
    version: 1 as const,
    generatedAt: x.generatedAt,
    include: x.include,
    aggregated: x.aggregated,
    count: x.blocks.length,
    cutByAllowList: x.cut,
    blocks: x.blocks.map((b) => ({
      network: b.network,
      origins: b.origins,
      reason: b.reason,
      expiresAt: b.expiresAt,
      note: b.note,
    })),
  };
}

function renderNft(x: BlockExport, name: string): string {
  const lines = [
    header(x).trimEnd(),
    `# load: nft -f FILE (replaces the elements in one transaction); drop them with a rule of yours, e.g.`,
    `#   nft add rule inet ${name} input ip saddr @blocked4 drop`,
    `add table inet ${name}`,
  ];
  for (const f of [4, 6] as const) {
    const set = `blocked${f}`;
    lines.push(
      `add set inet ${name} ${set} { type ipv${f}_addr; flags interval, timeout; auto-merge; }`,
      `flush set inet ${name} ${set}`,
    );
    const elems = x.blocks
      .filter((b) => b.family === f)
      .map((b) => {
        const t = timeout(b, x.generatedAt);
        return t === null ? b.network : `${b.network} timeout ${t}s`;
      });
    // nft takes one element list per statement; chunks keep each line readable and bounded.
    for (let i = 0; i < elems.length; i += 1000) {
      lines.push(`add element inet ${name} ${set} { ${elems.slice(i, i + 1000).join(', ')} }`);
    }
  }
  return `${lines.join('\n')}\n`;
}

const WHOLE: Record<string, string[]> = {
  '0.0.0.0/0': ['0.0.0.0/1', '128.0.0.0/1'],
  '::/0': ['::/1', '8000::/1'],
};

function renderIpset(x: BlockExport, name: string): string {
  const lines = [
    header(x).trimEnd(),
    '# load: ipset -exist restore < FILE (fills a fresh set, then swaps it in)',
  ];
  for (const f of [4, 6] as const) {
    const set = `${name}-blocked${f}`;
    const tmp = `${set}-new`;
    const blocks = x.blocks.filter((b) => b.family === f);
    const spec = `hash:net family ${f === 4 ? 'inet' : 'inet6'} timeout 0 maxelem ${Math.max(65536, blocks.length * 2)}`;
    lines.push(`create ${set} ${spec}`, `create ${tmp} ${spec}`, `flush ${tmp}`);
    for (const b of blocks) {
      const t = timeout(b, x.generatedAt);
      // hash:net takes prefixes 1-32 (1-128): the whole space is its two halves.
      for (const net of WHOLE[b.network] ?? [b.network]) {
        lines.push(`add ${tmp} ${net}${t === null ? '' : ` timeout ${t}`}`);
      }
    }
    lines.push(`swap ${tmp} ${set}`, `destroy ${tmp}`);
  }
  return `${lines.join('\n')}\n`;
}
