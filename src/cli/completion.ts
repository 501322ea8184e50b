/**
 * `sipprot completion bash|zsh` and `sipprotd completion bash|zsh`: completion scripts
 * generated from the command tree itself, so a new command or option completes without
 * anyone remembering to edit a script. Both shells walk the words typed so far the same
 * way: options are skipped (and the value after an option that takes one, `--config
 * FILE`), the rest is the command path; the path picks the words offered.
 */
import { Command } from 'commander';
import { usage } from './context.js';
import type { Io } from './output.js';

const SHELLS = ['bash', 'zsh'] as const;

interface Completion {
  name: string;
  fn: string;
  /** Command path ("sipprot allow add") → words offered there. */
  cases: Array<[path: string, words: string]>;
  /** Options followed by a value (their value is not part of the command path). */
  valued: string[];
}

function completionOf(program: Command): Completion {
  const cases: Completion['cases'] = [];
  const valued = new Set<string>();
  const walk = (cmd: Command, path: string[]) => {
    const subs = cmd.commands.map((c) => c.name());
    const opts = cmd.options.map((o) => o.long).filter((x): x is string => Boolean(x));
    for (const o of cmd.options) if (o.long && (o.required || o.optional)) valued.add(o.long);
    cases.push([path.join(' '), [...subs, ...opts, '--help'].join(' ')]);
    for (const c of cmd.commands) walk(c, [...path, c.name()]);
  };
  const name = program.name();
  walk(program, [name]);
  return { name, fn: `_${name.replace(/[^a-z0-9_]/gi, '_')}_complete`, cases, valued: [...valued].sort() };
}

function bashScript(c: Completion): string {
  const cases = c.cases.map(([p, w]) => `    "${p}") words="${w}" ;;`).join('\n');
  return `# bash completion for ${c.name}; install: ${c.name} completion bash > /etc/bash_completion.d/${c.name}
${c.fn}() {
  local cur path words i skip=0
  cur="\${COMP_WORDS[COMP_CWORD]}"
  path="${c.name}"
  for ((i = 1; i < COMP_CWORD; i++)); do
    if ((skip)); then skip=0; continue; fi
    case "\${COMP_WORDS[i]}" in
      ${c.valued.join('|') || '--no-valued-option'}) skip=1 ;;
      -*) ;;
      *) path="$path \${COMP_WORDS[i]}" ;;
    esac
  done
  words=""
  case "$path" in
${cases}
  esac
  if ((skip)) || [[ "$cur" == */* || "$cur" == .* ]]; then
    COMPREPLY=( $(compgen -f -- "$cur") )
  else
    COMPREPLY=( $(compgen -W "$words" -- "$cur") )
  fi
}
complete -o default -F ${c.fn} ${c.name}
`;
}

function zshScript(c: Completion): string {
  const cases = c.cases.map(([p, w]) => `    "${p}") offered=(${w}) ;;`).join('\n');
  return `#compdef ${c.name}
# zsh completion for ${c.name}; install: ${c.name} completion zsh > "\${fpath[1]}/_${c.name}"
# (or: source <(${c.name} completion zsh))
${c.fn}() {
  local path_="${c.name}" i skip=0
  local -a offered
  for ((i = 2; i < CURRENT; i++)); do
    if ((skip)); then skip=0; continue; fi
    case "\${words[i]}" in
      ${c.valued.join('|') || '--no-valued-option'}) skip=1 ;;
      -*) ;;
      *) path_="$path_ \${words[i]}" ;;
    esac
  done
  case "$path_" in
${cases}
  esac
  if ((skip)) || [[ "\${words[CURRENT]}" == */* || "\${words[CURRENT]}" == .* ]]; then
    _files
  else
    compadd -- "\${offered[@]}"
  fi
}
# Autoloaded from fpath (as _${c.name}): complete now; sourced: register.
if [[ "\${funcstack[1]}" == "_${c.name}" ]]; then
  ${c.fn} "$@"
else
  compdef ${c.fn} ${c.name}
fi
`;
}

/** `NAME completion bash|zsh`. */
export function completionCommand(program: Command, io: Io): Command {
  const name = program.name();
  // addCommand() inherits nothing: without the program's settings commander printed its own
  // errors and help to process.stdout and called process.exit (`sipprot completion` with no
  // shell exited 1, not 2 with the usage, and `--help` ended a process that ran main()).
  return new Command('completion')
    .copyInheritedSettings(program)
    .description(`print a shell completion script: eval "$(${name} completion bash)", zsh too`)
    .argument('<shell>', SHELLS.join(' or '))
    .action(async (shell: string) => {
      if (shell === 'bash') io.out(bashScript(completionOf(program)));
      else if (shell === 'zsh') io.out(zshScript(completionOf(program)));
      else throw usage(`unsupported shell "${shell}": use ${SHELLS.join(' or ')}`);
    });
}
