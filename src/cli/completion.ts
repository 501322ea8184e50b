/**
 * `sipprot completion bash`: a completion script generated from the command tree itself,
 * so a new command or option completes without anyone remembering to edit a script.
 */
import { Command } from 'commander';
import { usage } from './context.js';
import type { Io } from './output.js';

/** The script for bash: one `case` per command path, its subcommands and options. */
function bashCompletion(program: Command): string {
  const cases: string[] = [];
  const walk = (cmd: Command, path: string[]) => {
    const subs = cmd.commands.map((c) => c.name());
    const opts = cmd.options.map((o) => o.long).filter((x): x is string => Boolean(x));
    const words = [...subs, ...opts, '--help'].join(' ');
    cases.push(`    "${path.join(' ')}") words="${words}" ;;`);
    for (const c of cmd.commands) walk(c, [...path, c.name()]);
  };
  const name = program.name();
  walk(program, [name]);
  const fn = `_${name.replace(/[^a-z0-9_]/gi, '_')}_complete`;
  return `# bash completion for ${name}; install: ${name} completion bash > /etc/bash_completion.d/${name}
${fn}() {
  local cur path words i
  cur="\${COMP_WORDS[COMP_CWORD]}"
  path="${name}"
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "\${COMP_WORDS[i]}" in
      -*) ;;
      *) path="$path \${COMP_WORDS[i]}" ;;
    esac
  done
  words=""
  case "$path" in
${cases.join('\n')}
  esac
  if [[ "$cur" == */* || "$cur" == .* ]]; then
    COMPREPLY=( $(compgen -f -- "$cur") )
  else
    COMPREPLY=( $(compgen -W "$words" -- "$cur") )
  fi
}
complete -o default -F ${fn} ${name}
`;
}

/** `sipprot completion bash`. */
export function completionCommand(program: Command, io: Io): Command {
  return new Command('completion')
    .description('print a shell completion script: eval "$(sipprot completion bash)"')
    .argument('<shell>', 'bash')
    .action(async (shell: string) => {
      if (shell !== 'bash') throw usage(`unsupported shell "${shell}": only bash is supported`);
      io.out(bashCompletion(program));
    });
}
