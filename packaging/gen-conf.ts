/**
 * Writes the commented /etc/sipprot/sipprot.conf the .deb ships (a conffile): every key
 * of the key table (src/core/config/keys*.ts, 33 keys today) with its description, what
 * is allowed and its default, commented out. Generated at build time from the same table
 * that parses the file, so a new key can never be missing from the shipped file and a
 * changed default can never be shown wrong (test/package/conf.test.ts uncomments every
 * line and checks the result equals the built-in defaults).
 *
 *   node --import tsx packaging/gen-conf.ts > sipprot.conf
 */
import { CONFIG_KEYS, defaultConfig, quoteValue } from '../src/core/config/parse.js';

const HEADER = `# /etc/sipprot/sipprot.conf: settings of sipprotd and of the sipprot command.
#
# KEY=VALUE, one a line; '#' starts a comment. Keys are case-insensitive, and the
# spellings of existing sipPROT installations (block_time, block_threshold,
# monit_period, hit_count) work too. Every key is listed below with its default,
# commented out: a commented key keeps its default. Uncomment and change what you
# need, then apply it with \`sipprotd reload\` (or systemctl reload sipprotd). An
# invalid value stops start-up with one line per problem naming the key, the value and
# what is allowed; \`sipprotd reload\` reports it and keeps the running settings.
#
# The allow and deny lists live beside this file (sipprot.allowlist, sipprot.denylist)
# unless ALLOWLIST_FILE / DENYLIST_FILE say otherwise. Saving settings in the web UI
# rewrites this file with every key set (and these comments regenerated).
#
# This file may hold the SMTP password: keep it mode 0600, owned by root.
# See sipprot(8), sipprotd(8) and /usr/share/doc/sipprot/INSTALL.md.`;

/** The value shown for a key: its documented default, or the effective one when the
 * documented default is "derived" (SMTP_PORT and SMTP_TLS follow each other). */
function shownDefault(key: (typeof CONFIG_KEYS)[number], defaults: ReturnType<typeof defaultConfig>): string {
  return key.default !== '' ? key.default : key.format(defaults);
}

export function commentedConfig(): string {
  const defaults = defaultConfig('/etc/sipprot/sipprot.conf');
  const out = [HEADER];
  for (const k of CONFIG_KEYS) {
    const aliases = k.aliases.length ? ` Also spelled: ${k.aliases.join(', ')}.` : '';
    out.push('', `# ${k.description}${aliases}`, `# Allowed: ${k.allowed}.`);
    out.push(`#${k.key}=${quoteValue(shownDefault(k, defaults))}`);
  }
  return `${out.join('\n')}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) process.stdout.write(commentedConfig());
