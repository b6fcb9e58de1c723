import { describe, expect, it } from 'vitest';
import type { Logger, OutputChunk } from '@tork/domain';
import { silentLogger } from '@tork/domain';
import { OutputCollector } from './output-collector.js';

describe('OutputCollector', () => {
  it('keeps stdout up to the cap with a visible marker, and passes every chunk on', () => {
    const chunks: OutputChunk[] = [];
    const collector = new OutputCollector(5, (chunk) => chunks.push(chunk), silentLogger);
    collector.write('stdout', Buffer.from('abc'));
    collector.write('stderr', Buffer.from('oops\n'));
    collector.write('stdout', Buffer.from('defgh'));
    collector.end();
    expect(collector.stdout()).toBe('abcde\n[truncated: output exceeded 5 bytes]');
    expect(chunks).toEqual([
      { stream: 'stdout', text: 'abc' },
      { stream: 'stderr', text: 'oops\n' },
      { stream: 'stdout', text: 'defgh' },
    ]);
  });

  it('decodes a character split across chunks whole', () => {
    const texts: string[] = [];
    const collector = new OutputCollector(100, (chunk) => texts.push(chunk.text), silentLogger);
    const bytes = Buffer.from('ü', 'utf8');
    collector.write('stdout', bytes.subarray(0, 1));
    collector.write('stdout', bytes.subarray(1));
    expect(texts.join('')).toBe('ü');
  });

  it('keeps the last 20 lines of both streams as the tail', () => {
    const collector = new OutputCollector(1000, undefined, silentLogger);
    for (let i = 1; i <= 30; i++) collector.write('stdout', Buffer.from(`line ${i}\n`));
    collector.write('stderr', Buffer.from('failed\n'));
    const tail = collector.tail().split('\n');
    expect(tail).toHaveLength(20);
    expect(tail[0]).toBe('line 12');
    expect(tail.at(-1)).toBe('failed');
  });

  it('logs a failing listener instead of failing the run, and drops output after close', () => {
    const warnings: string[] = [];
    const logger: Logger = { ...silentLogger, warn: (_fields, message) => warnings.push(message) };
    const texts: string[] = [];
    const collector = new OutputCollector(
      100,
      (chunk) => {
        texts.push(chunk.text);
        throw new Error('listener broke');
      },
      logger,
    );
    collector.write('stdout', Buffer.from('one'));
    collector.close();
    collector.write('stdout', Buffer.from('two'));
    expect(texts).toEqual(['one']);
    expect(warnings).toEqual(['onOutput listener failed']);
    expect(collector.stdout()).toBe('one');
  });
});
