import { describe, expect, it } from 'vitest';
import { topicMatcher } from './topic-pattern.js';

describe('topicMatcher', () => {
  it('matches words exactly, * for one word and # for any number', () => {
    expect(topicMatcher('logs.j1.t1')('logs.j1.t1')).toBe(true);
    expect(topicMatcher('logs.j1.t1')('logs.j1.t2')).toBe(false);
    expect(topicMatcher('logs.j1.*')('logs.j1.t2')).toBe(true);
    expect(topicMatcher('logs.j1.*')('logs.j1')).toBe(false);
    expect(topicMatcher('logs.j1.*')('logs.j1.t2.x')).toBe(false);
    expect(topicMatcher('logs.#')('logs')).toBe(true);
    expect(topicMatcher('logs.#')('logs.j1.t1')).toBe(true);
    expect(topicMatcher('#')('events.j1')).toBe(true);
    expect(topicMatcher('events.#')('logs.j1')).toBe(false);
  });
});
