import { describe, expect, it } from 'vitest';
import { REDACTED } from './redact.js';
import { StreamMasker } from './stream-masker.js';

/** Feeds the chunks in order, then ends the stream; returns what was passed on. */
function through(secrets: string[], chunks: string[]): string {
  const masker = new StreamMasker(secrets);
  return chunks.map((chunk) => masker.write('stdout', chunk)).join('') + masker.end('stdout');
}

describe('StreamMasker', () => {
  it('masks a secret split across two chunks', () => {
    expect(through(['hunter2'], ['the password is hunt', 'er2, done\n'])).toBe(
      `the password is ${REDACTED}, done\n`,
    );
  });

  it('masks a secret split across many one-character chunks', () => {
    expect(through(['hunter2'], Array.from('a hunter2 b hunter2'))).toBe(`a ${REDACTED} b ${REDACTED}`);
  });

  it('never passes on the start of a secret before it knows the rest', () => {
    const masker = new StreamMasker<'stdout'>(['hunter2']);

    const first = masker.write('stdout', 'xx hunt');
    expect(first).toBe('x');
    expect(first + masker.write('stdout', 'er2') + masker.end('stdout')).toBe(`xx ${REDACTED}`);
  });

  it('holds back at most (longest secret − 1) characters, and gives them back at the end', () => {
    const masker = new StreamMasker<'stdout'>(['abc', 'secret!']);

    expect(masker.write('stdout', '0123456789')).toBe('0123');
    expect(masker.end('stdout')).toBe('456789');
  });

  it('keeps each stream apart', () => {
    const masker = new StreamMasker<'stdout' | 'stderr'>(['hunter2']);

    const out =
      masker.write('stdout', 'hun') + masker.write('stderr', 'ter2 on stderr') + masker.end('stderr');
    expect(out).toBe('ter2 on stderr');
    expect(masker.write('stdout', 'ter2') + masker.end('stdout')).toBe(REDACTED);
  });

  it('masks a secret that contains another one whole, and the shorter one alone', () => {
    expect(through(['abc', 'abcdef'], ['token abcd', 'ef and abc.'])).toBe(
      `token ${REDACTED} and ${REDACTED}.`,
    );
  });

  it('passes text through at once when there are no secrets', () => {
    const masker = new StreamMasker<'stdout'>(['']);

    expect(masker.write('stdout', 'hello')).toBe('hello');
    expect(masker.end('stdout')).toBe('');
  });

  it('never splits a surrogate pair', () => {
    const masker = new StreamMasker<'stdout'>(['xyz']);

    const first = masker.write('stdout', 'a😀b');
    expect(first).toBe('a');
    expect(first + masker.end('stdout')).toBe('a😀b');
  });
});
