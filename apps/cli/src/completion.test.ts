import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { completionScript } from './completion.js';
import { buildProgram } from './program.js';

const program = buildProgram(() => undefined, { writeOut: () => undefined, writeErr: () => undefined });

/** What bash completes for the words typed so far (the last one being completed). */
function complete(...words: string[]): string[] {
  const script = `${completionScript(program, 'bash')}
COMP_WORDS=(${words.map((word) => `'${word}'`).join(' ')}); COMP_CWORD=${words.length - 1}
_tork; printf '%s\\n' "\${COMPREPLY[@]}"`;
  return execFileSync('bash', ['-c', script], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line !== '');
}

describe('shell completion', () => {
  it('completes commands, subcommands, options and -o values in bash', () => {
    expect(complete('tork', 's')).toEqual(['submit', 'schedules']);
    expect(complete('tork', 'schedules', 'p')).toEqual(['pause']);
    expect(complete('tork', 'submit', '--w')).toEqual(['--wait', '--watch']);
    expect(complete('tork', 'list', '-o', 'j')).toEqual(['json']);
    expect(complete('tork', 'run', 'w')).toEqual(['worker']);
    expect(complete('tork', 'completion', '')).toEqual(['bash', 'zsh']);
  });

  it('gives zsh the same function through bashcompinit', () => {
    const zsh = completionScript(program, 'zsh');
    expect(zsh).toContain('bashcompinit');
    expect(zsh).toContain('complete -o filenames -F _tork tork');
  });
});
