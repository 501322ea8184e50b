/**
 * Writes the hand-made edge-case captures and their expected decodings:
 *   node --import tsx testdata/edge/generate.ts
 * The cases live in src/core/packet/testing/edge-cases.ts; the test
 * src/capture/edge-captures.test.ts checks these files against it.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { edgeCaptures } from '../../src/core/packet/testing/edge-cases.js';

const here = dirname(fileURLToPath(import.meta.url));
for (const c of edgeCaptures()) {
  writeFileSync(join(here, c.file), c.data);
  const meta = { description: c.description, sipPorts: c.sipPorts, expected: c.expected };
  writeFileSync(join(here, `${c.file}.expected.json`), `${JSON.stringify(meta, null, 2)}\n`);
  console.log(`${c.file}: ${c.data.length} bytes, ${c.expected.length} SIP messages`);
}
