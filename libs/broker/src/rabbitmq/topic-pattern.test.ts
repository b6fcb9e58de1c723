import { describe, expect, it } from 'vitest';
import { isExactTopic, topicMatches } from './topic-pattern.js';

describe('topicMatches (RabbitMQ topic exchange semantics)', () => {
  it.each([
    ['events.j1', 'events.j1', true],
    ['events.j1', 'events.j2', false],
    ['events.*', 'events.j1', true],
    ['events.*', 'events', false],
    ['events.*', 'events.j1.t1', false],
    ['logs.j1.*', 'logs.j1.t1', true],
    ['logs.j1.*', 'logs.j2.t1', false],
    ['logs.#', 'logs', true],
    ['logs.#', 'logs.j1.t1', true],
    ['logs.#.t1', 'logs.t1', true],
    ['logs.#.t1', 'logs.j1.x.t1', true],
    ['logs.#.t1', 'logs.j1.t2', false],
    ['#', 'anything.at.all', true],
    ['#', '', true],
    ['*.*', 'a.b', true],
    ['*.*', 'a', false],
    ['p.logs.*.*', 'p.logs.j.t', true],
  ])('%s against %s: %s', (pattern, key, expected) => {
    expect(topicMatches(pattern, key)).toBe(expected);
  });

  it('tells a pattern without wildcards', () => {
    expect(isExactTopic('events.j1')).toBe(true);
    expect(isExactTopic('logs.j1.*')).toBe(false);
    expect(isExactTopic('logs.#')).toBe(false);
    expect(isExactTopic('logs.a*b')).toBe(true);
  });
});
