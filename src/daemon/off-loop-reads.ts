/**
 * Answers that read every block in force, made on the writer thread (store-writer-worker.ts)
 * from its own connection, so the event loop only gets the finished text: GET /api/dynamic
 * (the whole dynamic list as JSON) and GET /api/blocks/export (what other firewalls poll).
 *
 * Why: on the loop they held every packet meanwhile. The whole list of 52,407 blocks was
 * ~3 s of reading and 0.7–0.9 s of JSON at load 15 (bench/RESULTS.md, the live view); an
 * export of 1M dynamic blocks is ~4.4 s of computing alone (100k: ~0.5 s) on top of the
 * read, and a router may poll it every minute. The lists and the feeds live in the daemon's
 * memory: the caller hands them over (a clone of strings, not the computation).
 */
import { type ExportOptions, exportFrom } from '../core/lists/export.js';
import { type ExportFormat, exportDocument, renderExport } from '../core/lists/export-render.js';
import type { ListEntry } from '../core/types.js';
import { dynamicBlock } from '../ports/admin.js';
import type { Store } from '../ports/store.js';

/** GET /api/dynamic's answer at `activeAt`: each block in force as the admin port shows it. */
export async function dynamicJsonOf(store: Pick<Store, 'listBlocks'>, activeAt: number): Promise<string> {
  const blocks = await store.listBlocks({ activeAt });
  return JSON.stringify(blocks.map((b) => dynamicBlock(b, activeAt)));
}

/** An export asked of the thread: the options, and the daemon's lists and feeds. */
export interface ExportJob {
  options: ExportOptions;
  format: ExportFormat;
  /** The nft/ipset set name (validated by the route). */
  name?: string;
  deny: ListEntry[];
  allow: ListEntry[];
  feeds: Array<{ feed: string; network: string; expiresAt: number }>;
}

/** GET /api/blocks/export's body: exportFrom over the store's blocks and the job's lists. */
export async function exportTextOf(store: Pick<Store, 'listBlocks'>, j: ExportJob): Promise<string> {
  const dynamic = j.options.include.includes('dynamic')
    ? await store.listBlocks({ activeAt: j.options.now })
    : [];
  const x = await exportFrom(
    {
      dynamicBlocks: async () => dynamic,
      listEntries: async (name) => (name === 'deny' ? j.deny : j.allow),
      feedEntries: async () => j.feeds,
    },
    j.options,
  );
  if (j.format === 'json') return JSON.stringify(exportDocument(x));
  return renderExport(x, j.format, j.name ? { name: j.name } : {});
}
