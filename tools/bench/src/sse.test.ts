import { describe, expect, it } from 'vitest';
import { SseParser } from './sse.js';

describe('SseParser', () => {
  it('yields events whole however the stream is cut, without comments', () => {
    const parser = new SseParser();
    const text = ': keep-alive\n\nid: 7\nevent: log\ndata: {"text":"a"}\n\nevent: end\ndata: {}\n\n';
    const events = Array.from({ length: text.length }, (_, i) => parser.push(text.charAt(i))).flat();
    expect(events).toEqual([
      { event: 'log', data: '{"text":"a"}', id: '7' },
      { event: 'end', data: '{}' },
    ]);
  });

  it('joins data lines and reads CRLF streams', () => {
    const parser = new SseParser();
    expect(parser.push('data: one\r\ndata: two\r\n\r\n')).toEqual([{ event: 'message', data: 'one\ntwo' }]);
  });
});
