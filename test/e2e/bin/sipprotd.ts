// sipprotd from the TypeScript sources (node --import tsx), so the end-to-end tests run
// the code as it is, without a build; mirrors bin/sipprotd.js. SIPPROT_E2E_ROOT points
// at another checkout (e.g. a worktree of a known-good commit) when set.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = process.env.SIPPROT_E2E_ROOT || fileURLToPath(new URL('../../../', import.meta.url));
const { main } = (await import(join(root, 'src/cli/sipprotd.ts'))) as {
  main(argv: string[]): Promise<number>;
};
const code = await main(process.argv.slice(2));
process.stdout.write('', () => process.exit(code));
