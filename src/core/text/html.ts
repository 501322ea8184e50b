/**
 * Text on its way into HTML (the report, the digest and alert mails; the web UI escapes
 * through Preact): the five characters that could open markup or leave an attribute become
 * entities, everywhere, element content and quoted attributes alike (issue 10 item 14).
 */
const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML element content and double- or single-quoted attributes. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}
