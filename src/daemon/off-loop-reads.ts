/**
 * Answers that read every block in force, made on the writer thread (store-writer-worker.ts)
 * from its own connection, so the event loop only gets the finished text: GET /api/dynamic
 * (the whole dynamic list as JSON) and GET /api/blocks/export (what other firewalls poll).
 *
 * Why: on the loop they held every packet meanwhile. The whole list of 52,407 blocks was
 * ~3 s of reading and 0.7–0.9 s of JSON at load 15 (bench/RESULTS.md, the live view); an
 * export of 1M dynamic blocks is still seconds of computing on top of the read (4–15 s at
 * load 7–12 since it parses each network once, 26–82 s before; "Big lists"), and a router
 * may poll it every minute.
 *
 * The allow and deny lists are files: the export names them and the thread reads them
 * itself, again only when a file changed (its device, inode, size, mtime or ctime). Handing the
 * entries over made the loop read and parse both files on every poll and clone them into
 * the message: 100k deny entries were 1.3–1.6 s of the loop a poll at load 12 (now ~0.04
 * ms; bench/RESULTS.md, "Big lists"). The feeds live in the daemon's memory and are handed
 * over only when the export includes them and they changed: the job names the feeds'
 * generation (FeedsView.generation) and carries the entries only when the loop has not
 * yet sent that generation to this thread; the thread keeps the last ones. Building and
 * cloning 100k feed entries was ~140–230 ms of the loop a poll at load 7 (issue 13), 37–62
 * ms at load 2.6, against 0.03 ms for the generation alone (bench/RESULTS.md, "Aggregated
 * export"). A thread that does not hold the generation named (a new thread: the
 * API's ends after 3 min without a read, api.ts READS_IDLE_MS) answers null and the loop
 * sends the entries.
 */
import { statSync } from 'node:fs';
import { SipprotError } from '../core/errors.js';
import { type ExportOptions, exportFrom } from '../core/lists/export.js';
import { type ExportFormat, exportDocument, renderExport } from '../core/lists/export-render.js';
import type { ListEntry } from '../core/types.js';
import { ListFiles, type ListPaths } from '../lists/list-files.js';
import { dynamicBlock } from '../ports/admin.js';
import type { Store } from '../ports/store.js';

/** GET /api/dynamic's answer at `activeAt`: each block in force as the admin port shows it. */
export async function dynamicJsonOf(store: Pick<Store, 'listBlocks'>, activeAt: number): Promise<string> {
  const blocks = await store.listBlocks({ activeAt });
  return JSON.stringify(blocks.map((b) => dynamicBlock(b, activeAt)));
}

/** An export asked of the thread: the options, the daemon's list files (or entries) and feeds. */
export interface ExportJob {
  options: ExportOptions;
  format: ExportFormat;
  /** The nft/ipset set name (validated by the route). */
  name?: string;
  /** The list files, read where the export is made; or the entries (lists not kept in files). */
  lists: { files: ListPaths } | { entries: { allow: ListEntry[]; deny: ListEntry[] } };
  /** The feeds' entries, or null: those of `feedsGeneration` the thread kept. */
  feeds: FeedRow[] | null;
  /** Which generation `feeds` are (kept for the next job), or which to use when null. */
  feedsGeneration?: number;
}

type FeedRow = { feed: string; network: string; expiresAt: number };

/** The feeds' entries last handed over with a generation. */
let keptFeeds: { generation: number; entries: FeedRow[] } | null = null;

/** The job's feed entries: handed over (and kept), or kept earlier; null if not held. */
function feedsOf(j: ExportJob): FeedRow[] | null {
  if (j.feeds !== null) {
    if (j.feedsGeneration !== undefined) keptFeeds = { generation: j.feedsGeneration, entries: j.feeds };
    return j.feeds;
  }
  return keptFeeds !== null && keptFeeds.generation === j.feedsGeneration ? keptFeeds.entries : null;
}

/** The entries of a list file as last read, and the file's identity then. */
const lastRead = new Map<string, { seen: string; entries: ListEntry[] }>();

/**
 * A list file's entries, read again only when the file changed: the list files write by
 * renaming a new file into place (a new inode), an edit in place moves mtime and size, a
 * chmod or chown moves ctime (so ListFiles' check that the allow list is not writable by
 * anyone runs again). Stat before read: a change between the two is read next time.
 */
export function listEntriesOf(files: ListPaths, name: 'allow' | 'deny'): ListEntry[] {
  const path = files[name];
  let seen = 'missing';
  try {
    const st = statSync(path, { bigint: true });
    seen = `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
  } catch {
    // Missing or unreadable: ListFiles says which (an empty list, or its error).
  }
  const last = lastRead.get(path);
  if (last && last.seen === seen && seen !== 'missing') return last.entries;
  const entries = new ListFiles(files).read(name);
  lastRead.set(path, { seen, entries });
  return entries;
}

function listsOf(j: ExportJob): { allow: ListEntry[]; deny: ListEntry[] } {
  if ('entries' in j.lists) return j.lists.entries;
  const files = j.lists.files;
  return { allow: listEntriesOf(files, 'allow'), deny: listEntriesOf(files, 'deny') };
}

/**
 * GET /api/blocks/export's body: exportFrom over the store's blocks, the job's lists and
 * feeds; null when the job names feeds this thread does not hold (send them).
 */
export async function exportTextOf(store: Pick<Store, 'listBlocks'>, j: ExportJob): Promise<string | null> {
  const feeds = j.options.include.includes('feeds') ? feedsOf(j) : [];
  if (feeds === null) return null;
  const dynamic = j.options.include.includes('dynamic')
    ? await store.listBlocks({ activeAt: j.options.now })
    : [];
  const lists = listsOf(j);
  const x = await exportFrom(
    {
      dynamicBlocks: async () => dynamic,
      listEntries: async (name) => lists[name],
      feedEntries: async () => feeds,
    },
    j.options,
  );
  if (j.format === 'json') return JSON.stringify(exportDocument(x));
  return renderExport(x, j.format, j.name ? { name: j.name } : {});
}

/** What the loop hands the feeds' hand-over: the thread's export and the daemon's feeds. */
export interface FeedsHandOverParts {
  /** The export on the thread (QueueWriter.exportText). */
  exportText(j: ExportJob): Promise<string | null>;
  /** Whether the thread runs now: a new one holds no feeds, so they go with the job. */
  threadRunning(): boolean;
  /** The feeds' generation now (FeedsView.generation), undefined without one. */
  generation(): number | undefined;
  entries(): Promise<FeedRow[]>;
}

/**
 * The loop's side of the feeds' hand-over for GET /api/blocks/export: the entries are built
 * and cloned into the job only when the export includes feeds and their generation is not
 * the one last sent to a running thread (or that thread answers it does not hold it).
 */
export function feedsHandOver(parts: FeedsHandOverParts): (j: Omit<ExportJob, 'feeds'>) => Promise<string> {
  let sent: number | undefined;
  return async (j) => {
    if (!j.options.include.includes('feeds')) return (await parts.exportText({ ...j, feeds: [] }))!;
    const feedsGeneration = parts.generation();
    if (feedsGeneration !== undefined && feedsGeneration === sent && parts.threadRunning()) {
      const text = await parts.exportText({ ...j, feeds: null, feedsGeneration });
      if (text !== null) return text;
    }
    const feeds = await parts.entries();
    sent = feedsGeneration;
    const text = await parts.exportText({ ...j, feeds, feedsGeneration });
    if (text === null)
      throw new SipprotError('SP_ERR_INTERNAL', 'the export thread refused the feeds handed to it');
    return text;
  };
}
