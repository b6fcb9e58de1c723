import { describe, expect, it } from 'vitest';
import { SseParser } from './sse.js';

describe('SseParser', () => {
  it('yields events as their chunks complete, skipping comments', () => {
    const parser = new SseParser();
    expect(parser.push(': stream open\n\nid: 1\nevent: log\ndata: {"te')).toEqual([]);
    expect(parser.push('xt":"a"}\n\nevent: end\r\ndata: {}\r\n\r\n')).toEqual([
      { event: 'log', data: '{"text":"a"}', id: '1' },
      { event: 'end', data: '{}' },
    ]);
  });
});
