// sipprot from the TypeScript sources (node --import tsx); mirrors bin/sipprot.js.
// SIPPROT_E2E_ROOT: as in sipprotd.ts.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = process.env.SIPPROT_E2E_ROOT || fileURLToPath(new URL('../../../', import.meta.url));
const { main } = (await import(join(root, 'src/cli/sipprot.ts'))) as {
  main(argv: string[]): Promise<number>;
};
// As bin/sipprot.js: a reader that stops early (`| head`) ends the output quietly.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') throw e;
  process.exit(process.exitCode ?? 0);
});
process.exitCode = await main(process.argv.slice(2));
