/**
 * The `--config <path>` option of both programs (sipprot and sipprotd), written once so
 * the two cannot drift apart: the search order it names is config/load.ts's.
 */
import { Option } from 'commander';
import { LEGACY_CONFIG, SYSTEM_CONFIG } from '../config/load.js';

export function configOption(): Option {
  return new Option(
    '--config <path>',
    `config file (default: $SIPPROT_CONFIG, ${SYSTEM_CONFIG}, ${LEGACY_CONFIG})`,
  );
}
