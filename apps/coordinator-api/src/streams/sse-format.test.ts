import { describe, expect, it } from 'vitest';
import { formatSseEvent, SseParser } from './sse-format.js';

describe('SseParser', () => {
  it('yields events as their chunks complete, skipping comments', () => {
    const parser = new SseParser();
    expect(parser.push(': stream open\n\nid: 1\nevent: log\ndata: {"te')).toEqual([]);
    expect(parser.push('xt":"a"}\n\nevent: end\r\ndata: {}\r\n\r\n')).toEqual([
      { event: 'log', data: '{"text":"a"}', id: '1' },
      { event: 'end', data: '{}' },
    ]);
  });

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

describe('formatSseEvent', () => {
  it('writes what SseParser reads back: names, ids and JSON data with line breaks', () => {
    const sent = [
      { event: 'log', id: 12, data: { text: 'line one\nline two\r\n', at: '2024-01-01T00:00:00Z' } },
      { event: 'state', id: 'job-1:3', data: { state: 'RUNNING' } },
      { event: 'end', id: undefined, data: {} },
    ] as const;
    const text = [
      ': stream open\n\n',
      ...sent.map((e) => formatSseEvent(e.event, e.id, e.data)),
      ': keep-alive\n\n',
    ].join('');
    const parser = new SseParser();
    const received = Array.from({ length: text.length }, (_, i) => parser.push(text.charAt(i))).flat();
    expect(received.map((e) => ({ event: e.event, id: e.id, data: JSON.parse(e.data) as unknown }))).toEqual(
      sent.map((e) => ({ event: e.event, id: e.id === undefined ? undefined : String(e.id), data: e.data })),
    );
  });
});
