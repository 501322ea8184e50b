/**
 * One webhook document (message.ts) as each target wants it:
 * - json: the document itself (schema sipprot.webhook/v1), for a SIEM or your own receiver;
 * - slack: an incoming-webhook `{text}` with mrkdwn (& < > escaped, as Slack requires);
 * - mattermost: the Slack-compatible `{text}`, in Mattermost's Markdown;
 * - discord: `{content}` (at most 2000 characters) with `allowed_mentions: {parse: []}`;
 * - teams: a message with an Adaptive Card (Teams workflows, "post to a channel when a
 *   webhook request is received"), plain TextRuns, which no Markdown reaches.
 * What came from the network (user agents, users, alert sentences) only ever appears inside
 * a code block or a plain text run, terminal-safe and bounded: a User-Agent of "@channel",
 * "<!everyone>" or "[click](http://evil)" notifies nobody and links nowhere. Headings carry
 * only sipprot's own words, the host name and counts.
 */
import { eventSentence } from '../core/log/events.js';
import { terminalText } from '../core/text/terminal.js';
import type { WebhookFormat } from '../core/types.js';
import type { WebhookDocument } from './message.js';

/** Lines listed in a chat message; the JSON document lists up to message.ts's MAX_LISTED. */
const CHAT_ROWS = 20;
const DISCORD_MAX = 2000;

function heading(doc: WebhookDocument): string {
  if (doc.kind === 'test') return `sipprot on ${doc.host}: test message, this webhook works`;
  if (doc.kind === 'alert') return `sipprot on ${doc.host}: ALERT (${doc.alert?.kind ?? 'alert'})`;
  const c = doc.counts;
  const what = Object.entries(c.byAction)
    .map(([a, n]) => `${a} ${n}`)
    .join(', ');
  return `sipprot on ${doc.host}: ${c.decisions} decisions on ${c.addresses} addresses (${what})`;
}

/** The lines under the heading: one per decision (newest last), or the alert's. */
function lines(doc: WebhookDocument, max: number): string[] {
  if (doc.alert) {
    const a = doc.alert;
    const out = [`ALERT ${a.text}`];
    if (a.userAgent) out.push(`user agent: ${a.userAgent}`);
    if (a.country) out.push(`country: ${a.country}`);
    return out.map((l) => terminalText(l, 400));
  }
  const shown = doc.decisions.slice(-max);
  const out = shown.map((d) => terminalText(eventSentence({ event: 'decision', ...d }) ?? d.ip, 300));
  const more = doc.omitted + (doc.decisions.length - shown.length);
  if (more > 0) out.push(`... and ${more} more`);
  return out;
}

/** Text that stays inside a fenced code block: no backtick can close it. */
const fenced = (ls: string[]) => `\`\`\`\n${ls.join('\n').replace(/`/g, "'")}\n\`\`\``;

const slackEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function discordContent(doc: WebhookDocument): string {
  let n = CHAT_ROWS;
  for (;;) {
    const text = `**${heading(doc)}**\n${fenced(lines(doc, n))}`;
    if (text.length <= DISCORD_MAX || n === 0) return text.slice(0, DISCORD_MAX);
    n = Math.floor(n / 2);
  }
}

function teamsCard(doc: WebhookDocument) {
  const run = (text: string, extra: Record<string, unknown> = {}) => ({ type: 'TextRun', text, ...extra });
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body: [
            { type: 'RichTextBlock', inlines: [run(heading(doc), { weight: 'Bolder' })] },
            ...lines(doc, CHAT_ROWS).map((l) => ({
              type: 'RichTextBlock',
              inlines: [run(l, { fontType: 'Monospace' })],
            })),
          ],
        },
      },
    ],
  };
}

/** The request body for a target of this format. */
export function renderWebhook(doc: WebhookDocument, format: WebhookFormat): string {
  switch (format) {
    case 'json':
      return JSON.stringify(doc);
    case 'slack':
      return JSON.stringify({ text: slackEscape(`*${heading(doc)}*\n${fenced(lines(doc, CHAT_ROWS))}`) });
    case 'mattermost':
      return JSON.stringify({ text: `**${heading(doc)}**\n${fenced(lines(doc, CHAT_ROWS))}` });
    case 'discord':
      return JSON.stringify({ content: discordContent(doc), allowed_mentions: { parse: [] } });
    case 'teams':
      return JSON.stringify(teamsCard(doc));
  }
}
