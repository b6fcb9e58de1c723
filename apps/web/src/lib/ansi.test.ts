import { describe, expect, it } from 'vitest';
import { parseAnsi } from './ansi.js';

const ESC = '\u001b';

describe('parseAnsi', () => {
  it('gives plain text back as one unstyled segment', () => {
    expect(parseAnsi('hello world\n')).toEqual([{ text: 'hello world\n', classes: [] }]);
  });

  it('styles text by colour and bold codes, and resets', () => {
    expect(parseAnsi(`${ESC}[31merror${ESC}[0m: ${ESC}[1;92mok${ESC}[m done`)).toEqual([
      { text: 'error', classes: ['ansi-fg-1'] },
      { text: ': ', classes: [] },
      { text: 'ok', classes: ['ansi-fg-10', 'ansi-bold'] },
      { text: ' done', classes: [] },
    ]);
  });

  it('keeps a style across codes that change another attribute, and drops default colour', () => {
    expect(parseAnsi(`${ESC}[4;44ma${ESC}[33mb${ESC}[39;49mc${ESC}[24md`)).toEqual([
      { text: 'a', classes: ['ansi-bg-4', 'ansi-underline'] },
      { text: 'b', classes: ['ansi-fg-3', 'ansi-bg-4', 'ansi-underline'] },
      { text: 'c', classes: ['ansi-underline'] },
      { text: 'd', classes: [] },
    ]);
  });

  it('skips 256-colour and RGB arguments, cursor moves and window titles', () => {
    expect(parseAnsi(`${ESC}]0;title\u0007${ESC}[38;5;196mred${ESC}[2K${ESC}[48;2;1;2;3m!`)).toEqual([
      { text: 'red!', classes: [] },
    ]);
  });

  it('never lets markup through: segments are text, rendered as text', () => {
    expect(parseAnsi('<script>alert(1)</script>')).toEqual([
      { text: '<script>alert(1)</script>', classes: [] },
    ]);
  });
});
