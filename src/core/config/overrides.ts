/**
 * `--set KEY=VALUE` on a command line (replay's threshold tuning): each override checked
 * on its own and blamed as written (`--set HIT_COUNT=abc: must be an integer 1-10000`),
 * never as "line 2" of a file it was never in; an unknown key is an error with the typo
 * hint (on a command line it was typed just now, unlike an old file's leftover key).
 */
import { SipprotError } from '../errors.js';
import type { Config } from '../types.js';
import { findConfigKey } from './keys.js';
import { configDir, withChanges } from './parse.js';
import { shownValue } from './secrets.js';
import { didYouMean } from './suggest.js';

/** The config with the overrides applied; SP_ERR_CONFIG_INVALID naming every bad one. */
export function applyOverrides(config: Config, overrides: readonly string[], flag = '--set'): Config {
  const changes: Record<string, string> = {};
  const problems: Array<{ key: string; value: string; allowed: string; line: 0; message: string }> = [];
  const dir = configDir(config.source);
  for (const text of overrides) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)$/.exec(text);
    const key = m ? findConfigKey(m[1]!) : undefined;
    if (!m) {
      problems.push({
        key: '',
        value: text,
        allowed: 'KEY=VALUE',
        line: 0,
        message: `${flag} ${text}: not KEY=VALUE`,
      });
      continue;
    }
    const [, written, raw] = m as unknown as [string, string, string];
    const value = raw.trim();
    if (!key) {
      const message = `${flag} ${written}=${value}: unknown key${didYouMean(written)}`;
      problems.push({ key: written, value, allowed: 'a key of sipprot.conf', line: 0, message });
      continue;
    }
    const what = key.parse(value, structuredClone(config), { dir });
    if (what) {
      const shown = shownValue(key.key, value);
      problems.push({
        key: written,
        value: shown,
        allowed: key.allowed,
        line: 0,
        message: `${flag} ${written}=${shown}: ${what}`,
      });
      continue;
    }
    changes[key.key] = value;
  }
  if (problems.length > 0) {
    throw new SipprotError('SP_ERR_CONFIG_INVALID', problems.map((p) => p.message).join('\n'), {
      details: problems,
    });
  }
  return Object.keys(changes).length === 0 ? config : withChanges(config, changes);
}
