import { describe, expect, it } from 'vitest';
import { locateField, parsePath } from './spec-lines.js';

const YAML = `# a job
name: two tasks
tasks:
  - name: first
    image: busybox
    run: |
      echo a: b
      - not an item
  - name: second
    env:
      A: "1"
    parallel:
      tasks:
        - name: inner
          run: echo
permissions:
- role: user
- user: erin
`;

describe('parsePath', () => {
  it('splits keys and indexes', () => {
    expect(parsePath('tasks[1].parallel.tasks[0].run')).toEqual(['tasks', 1, 'parallel', 'tasks', 0, 'run']);
  });
});

describe('locateField in YAML', () => {
  it.each([
    ['name', 2],
    ['tasks', 3],
    ['tasks[0]', 4],
    ['tasks[0].image', 5],
    ['tasks[0].run', 6],
    ['tasks[1].name', 9],
    ['tasks[1].env.A', 11],
    ['tasks[1].parallel.tasks[0].run', 15],
    ['permissions[1].user', 18],
  ])('finds %s on line %d', (path, line) => {
    expect(locateField(YAML, path)).toEqual({ line, exact: true });
  });

  it('places a missing field at its nearest parent, and knows nothing of the body', () => {
    expect(locateField(YAML, 'tasks[1].image')).toEqual({ line: 9, exact: false });
    expect(locateField(YAML, 'body')).toBeUndefined();
  });
});

describe('locateField in JSON', () => {
  const JSON_TEXT = `{
  "name": "j",
  "tasks": [
    { "name": "a", "image": "busybox" },
    {
      "name": "b",
      "retry": { "limit": 99 }
    }
  ]
}`;

  it.each([
    ['name', 2],
    ['tasks[0]', 4],
    ['tasks[0].image', 4],
    ['tasks[1]', 5],
    ['tasks[1].retry.limit', 7],
  ])('finds %s on line %d', (path, line) => {
    expect(locateField(JSON_TEXT, path)).toEqual({ line, exact: true });
  });

  it('places a missing field at its parent', () => {
    expect(locateField(JSON_TEXT, 'tasks[1].image')).toEqual({ line: 5, exact: false });
  });
});
