import type { Command } from 'commander';
import { OUTPUT_FORMATS } from './output.js';
import type { Shell } from './program.js';

const RUN_MODES = ['standalone', 'coordinator', 'api', 'scheduler', 'worker'];

/**
 * A completion script for the command tree as `program` declares it (commands, their options, the
 * values of -o): bash's `complete -F`; zsh runs the same function through bashcompinit.
 */
export function completionScript(program: Command, shell: Shell): string {
  const commands = program.commands.map((command) => command.name());
  const cases = program.commands.map((command) => {
    const subcommands = command.commands.map((sub) => sub.name());
    const options = [...command.options, ...command.commands.flatMap((sub) => sub.options)]
      .flatMap((option) => [option.short, option.long])
      .filter((flag): flag is string => flag !== undefined);
    const words = [...new Set(['--help', ...options])].join(' ');
    const arguments_ = command.registeredArguments.flatMap((argument) => argument.argChoices ?? []);
    const first = subcommands.length > 0 ? subcommands : arguments_;
    const head =
      first.length === 0
        ? ''
        : `[[ $COMP_CWORD -eq 2 ]] && { COMPREPLY=($(compgen -W "${first.join(' ')}" -- "$cur")); return; }; `;
    return `    ${command.name()}) ${head}opts="${words}" ;;`;
  });
  const bash = `# tork completion (bash): eval "$(tork completion bash)"
_tork() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}" opts=""
  if [[ $COMP_CWORD -eq 1 ]]; then
    COMPREPLY=($(compgen -W "${[...commands, 'run', 'migration', 'help'].join(' ')}" -- "$cur"))
    return
  fi
  case "$prev" in
    -o|--output) COMPREPLY=($(compgen -W "${OUTPUT_FORMATS.join(' ')}" -- "$cur")); return ;;
  esac
  case "\${COMP_WORDS[1]}" in
${cases.join('\n')}
    run) [[ $COMP_CWORD -eq 2 ]] && { COMPREPLY=($(compgen -W "${RUN_MODES.join(' ')}" -- "$cur")); return; } ;;
    help) COMPREPLY=($(compgen -W "${commands.join(' ')}" -- "$cur")); return ;;
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
  else
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
}
complete -o filenames -F _tork tork
`;
  if (shell === 'bash') return bash;
  return `# tork completion (zsh): eval "$(tork completion zsh)"
autoload -U +X bashcompinit && bashcompinit
${bash.split('\n').slice(1).join('\n')}`;
}
