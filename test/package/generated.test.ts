/**
 * The files the .deb generates at build time say what the code does: the commented
 * /etc/sipprot/sipprot.conf lists every key of the key table with its real default (so
 * uncommenting any line changes nothing), and the man pages and the sipprotd completion
 * come from the commands' own --help. The trees are walked through each command's main()
 * in this process: the same text the built bin/ prints (compared with one spawn of each
 * below), without the ~50 node starts of ~0.8 s of CPU each the walk took spawning them
 * (46 s of a test slot on a quiet machine, 133 s at load 15; now ~3 s).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { commentedConfig } from '../../packaging/gen-conf.js';
import { bashCompletionOf, parseHelp, renderMan, roff, walkHelp } from '../../packaging/gen-docs.js';
import type { Io } from '../../src/cli/output.js';
import { main as sipprotMain } from '../../src/cli/sipprot.js';
import { main as sipprotdMain } from '../../src/cli/sipprotd.js';
import { CONFIG_KEYS } from '../../src/core/config/keys.js';
import { defaultConfig, parseConfigDetailed } from '../../src/core/config/parse.js';

const SOURCE = '/etc/sipprot/sipprot.conf';
const BIN = fileURLToPath(new URL('../../bin/', import.meta.url));

describe('the shipped sipprot.conf', () => {
  const text = commentedConfig();

  test('lists every key once, commented out', () => {
    for (const k of CONFIG_KEYS) {
      const lines = text.split('\n').filter((l) => l.startsWith(`#${k.key}=`));
      assert.equal(lines.length, 1, `${k.key} appears ${lines.length} times`);
    }
    assert.equal(text.split('\n').filter((l) => /^[A-Za-z][A-Za-z0-9_]*=/.test(l)).length, 0, 'a key is set');
  });

  test('as shipped, and with every line uncommented, it gives exactly the built-in defaults', () => {
    const defaults = defaultConfig(SOURCE);
    const shipped = parseConfigDetailed(text, { source: SOURCE });
    assert.deepEqual(shipped.config, defaults);
    assert.deepEqual(shipped.warnings, []);
    const uncommented = text.replace(/^#([A-Z][A-Z0-9_]*=)/gm, '$1');
    assert.equal(
      uncommented.split('\n').filter((l) => /^[A-Z][A-Z0-9_]*=/.test(l)).length,
      CONFIG_KEYS.length,
    );
    const all = parseConfigDetailed(uncommented, { source: SOURCE });
    assert.deepEqual(all.warnings, []);
    assert.deepEqual(all.config, defaults);
  });
});

/** What `NAME ...path --help` prints, from the command's main() with its output caught. */
const inProcess =
  (main: (argv: string[], io: Io) => Promise<number>) =>
  async (path: string[]): Promise<string> => {
    let out = '';
    const code = await main([...path, '--help'], { out: (s) => (out += s), err: (s) => (out += s) });
    assert.equal(code, 0, `${path.join(' ')} --help: exit ${code}\n${out}`);
    return out;
  };
const helpOf = { sipprot: inProcess(sipprotMain), sipprotd: inProcess(sipprotdMain) };

describe('documentation from --help', () => {
  const help = (name: string) => (path: string[]) =>
    execFileSync(process.execPath, [`${BIN}${name}.js`, ...path, '--help'], { encoding: 'utf8' });

  test('the help read in this process is what the built commands print', async () => {
    for (const [name, path] of [
      ['sipprot', ['allow']],
      ['sipprotd', []],
    ] as const) {
      assert.equal(await helpOf[name]([...path]), help(name)([...path]), `${name} ${path.join(' ')} --help`);
    }
  });

  test('parseHelp reads commander help: usage, wrapped entries, blocks, exit codes', async () => {
    const page = parseHelp(await helpOf.sipprot(['allow']));
    assert.equal(page.usage, 'sipprot allow [options] [command]');
    assert.match(page.description, /allow list/);
    const names = page.commands.map((c) => c.term.split(' ')[0]);
    assert.deepEqual(names, ['list', 'add', 'remove', 'import', 'export', 'template', 'help']);
    const remove = page.commands.find((c) => c.term.startsWith('remove'))!;
    assert.match(remove.text, /^remove addresses or networks from the allow list$/, 'wrapped line joined');
    const top = parseHelp(await helpOf.sipprotd([]));
    assert.match(top.after, /^Exit codes: 0 ok/);
    assert.ok(top.options.some((o) => o.term === '--config <path>'));
  });

  test('roff escapes what troff would eat', () => {
    assert.equal(roff('--config'), '\\-\\-config');
    assert.equal(roff('.dot at start'), '\\&.dot at start');
    assert.equal(roff("'quote"), "\\&'quote");
    assert.equal(roff('a\\b'), 'a\\eb');
    // a wrapped description: the `...)` on its second line was read as the macro `..)`
    assert.equal(roff('guessing,\n...)'), 'guessing,\n\\&...)');
  });

  test('sipprot: every line of the man page that starts with a dot is a known macro', async () => {
    const man = renderMan(await walkHelp(helpOf.sipprot), {
      name: 'sipprot',
      version: '1.2.3',
      date: '2026-01-02',
      files: [],
      seeAlso: [],
    });
    const strays = man
      .split('\n')
      .filter((l) => /^[.']/.test(l) && !/^\.(TH|SH|SS|B|I|BR|PP|TP|RS|RE|IP|nf|fi|\\")( |$)/.test(l));
    assert.deepEqual(strays, []);
  });

  test('sipprotd: the man page and the completion cover every command and option', async () => {
    const tree = await walkHelp(helpOf.sipprotd);
    const commands = tree.children.map((c) => c.path.join(' '));
    assert.deepEqual(commands, ['run', 'start', 'stop', 'restart', 'reload', 'status', 'completion']);
    const man = renderMan(tree, {
      name: 'sipprotd',
      version: '1.2.3',
      date: '2026-01-02',
      files: [],
      seeAlso: [],
    });
    assert.match(man, /^\.TH SIPPROTD 8 "2026-01-02" "sipprot 1\.2\.3"/m);
    for (const c of commands) assert.match(man, new RegExp(`^\\.SS "sipprotd ${c}"$`, 'm'));
    assert.match(man, /^\.SH EXIT STATUS$/m);
    const completion = await bashCompletionOf(tree, 'sipprotd');
    assert.match(
      completion,
      /"sipprotd"\) words="run start stop restart reload status completion --config --version --help"/,
    );
    assert.match(completion, /"sipprotd status"\) words="--json --help"/);
    assert.match(completion, /complete -o default -F _sipprotd_complete sipprotd/);
  });
});
