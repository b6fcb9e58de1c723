import { describe, expect, it } from 'vitest';
import { parseJobSpec, parseJobSpecText } from './parse.js';
import { oneTask, problemsUnder } from './test-helpers.js';
import { slug } from './validate-container.js';

describe('parseJobSpec: the container fields of a task', () => {
  it('accepts every field at once and keeps them as given', () => {
    const task = {
      name: 'everything',
      image: 'registry.local:5000/app:1',
      registry: { username: 'ci', password: 's3cret' },
      entrypoint: ['bash', '-c'],
      run: 'cat config.json',
      files: { 'config.json': '{"a": 1}', 'notes.txt': 'hello {{ not evaluated }}' },
      workdir: '/work',
      user: '1000:1000',
      mounts: [
        { type: 'volume', target: '/data' },
        { type: 'tmpfs', target: '/scratch' },
        { type: 'bind', source: '/srv/in', target: '/in' },
      ],
      networks: ['backend', 'cache.net'],
      sidecars: [
        {
          name: 'web',
          image: 'busybox',
          cmd: ['httpd', '-f', '-p', '8080'],
          probe: { path: '/', port: 8080 },
        },
        {
          name: 'db-2',
          image: 'busybox',
          run: 'sleep 60',
          env: { MODE: 'test' },
          probe: { path: '/h', port: 1, timeout: '1h' },
        },
      ],
      gpus: 'count=1',
      pre: [
        {
          name: 'fetch',
          image: 'busybox',
          cmd: ['echo', '{{ inputs.x }}'],
          workdir: '/tmp',
          files: { a: 'b' },
          user: 'nobody',
        },
      ],
      post: [
        {
          image: 'busybox',
          entrypoint: ['sh', '-c'],
          run: 'echo done',
          registry: { username: 'u', password: 'p' },
        },
      ],
    };

    expect(parseJobSpec({ inputs: { x: '1' }, tasks: [task] })).toEqual({
      inputs: { x: '1' },
      tasks: [task],
    });
  });

  it('accepts an entrypoint as a YAML flow list and a volume mount shared with pre and post tasks', () => {
    const retrying = `name: flaky
tasks:
  - name: roll a die
    image: busybox:latest
    entrypoint: ["bash","-c"]
    run: |
      ROLL=$(( RANDOM % 6 + 1 ))
      echo -n "$ROLL" > $TORK_OUTPUT
      [ "$ROLL" -gt 2 ]
    retry:
      limit: 3
`;
    const sharing = `name: pre and post
tasks:
  - name: read what pre wrote
    image: busybox:latest
    run: cat /shared/note > $TORK_OUTPUT
    pre:
      - name: write a note
        image: busybox:latest
        run: echo a note > /shared/note
    post:
      - name: keep a copy
        image: busybox:latest
        run: cp /shared/note /shared/copy
    mounts:
      - type: volume
        target: /shared
`;

    expect(parseJobSpecText(retrying, 'yaml').tasks[0]?.entrypoint).toEqual(['bash', '-c']);
    expect(parseJobSpecText(sharing, 'yaml').tasks[0]?.mounts).toEqual([
      { type: 'volume', target: '/shared' },
    ]);
  });

  it('names every bad mount: targets, sources by type, paths', () => {
    const problems = problemsUnder(
      oneTask({
        mounts: [
          { type: 'volume', target: 'relative' },
          { type: 'volume', target: '/tork' },
          { type: 'tmpfs', target: '/tork/x' },
          { type: 'volume', target: '/a/../etc' },
          { type: 'bind', target: '/in' },
          { type: 'bind', source: 'relative', target: '/in2' },
          { type: 'bind', source: '/srv/../etc', target: '/in3' },
          { type: 'volume', source: 'mine', target: '/v' },
          { type: 'tmpfs', source: '/x', target: '/t' },
          { type: 'volume', target: '/data/' },
          { type: 'tmpfs', target: '/' },
          { type: 'volume', target: '/a;b' },
          { type: 'nfs', target: '/n' },
        ],
        volumes: ['/data', '/tork/cache'],
      }),
    );

    expect(problems).toEqual([
      'tasks[0].mounts[12].type: must be one of volume, tmpfs, bind',
      'tasks[0].volumes[1]: must not be /tork or under it: the engine uses it',
      'tasks[0].mounts[0].target: must be an absolute path',
      'tasks[0].mounts[1].target: must not be /tork or under it: the engine uses it',
      'tasks[0].mounts[2].target: must not be /tork or under it: the engine uses it',
      'tasks[0].mounts[3].target: must not have a ".." segment',
      'tasks[0].mounts[4].source: required for a bind mount',
      'tasks[0].mounts[5].source: must be an absolute path',
      'tasks[0].mounts[6].source: must not have a ".." segment',
      'tasks[0].mounts[7].source: not allowed on a volume mount: the engine creates it for the task',
      'tasks[0].mounts[8].source: not allowed on a tmpfs mount: the engine creates it for the task',
      'tasks[0].mounts[9].target: is the target of another mount or volume of this task',
      'tasks[0].mounts[10].target: must not be /',
      'tasks[0].mounts[11].target: may hold only letters, digits, spaces and -/._=',
    ]);
  });

  it('names bad working directories, file names and files too large together, in pre and post tasks too', () => {
    const big = 'x'.repeat(200 * 1024);
    const files = Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`f${i}`, big]));
    const problems = problemsUnder(
      oneTask({
        workdir: 'work',
        files: { '..': 'up', 'a/b': 'slash' },
        pre: [{ image: 'busybox', workdir: '/w/../x', files }],
        post: [{ image: 'busybox', workdir: '/w/{{ inputs.dir }}' }],
      }),
    );

    expect(problems).toEqual([
      'tasks[0].files.a/b: is not a valid file name (no "/")',
      'tasks[0].workdir: must be an absolute path',
      'tasks[0].files: ".." is not a file name',
      'tasks[0].pre[0].workdir: must not have a ".." segment',
      `tasks[0].pre[0].files: hold ${6 * 200 * 1024} bytes in all; at most ${1024 * 1024}`,
      'tasks[0].post[0].workdir: expressions ({{ }}) are not evaluated here; pass values to the task through `env`',
    ]);
  });

  it('refuses run with cmd, expressions where none are evaluated, and checks those of cmd', () => {
    const problems = problemsUnder(
      oneTask({
        run: 'echo',
        cmd: ['echo', '{{ inputs. }}'],
        entrypoint: ['{{ inputs.shell }}'],
        gpus: '{{ inputs.gpus }}',
      }),
    );

    expect(problems).toHaveLength(4);
    expect(problems[0]).toBe(
      'tasks[0].cmd: give `run` (a script) or `cmd` (a command), not both; `entrypoint` runs either',
    );
    expect(problems[1]).toMatch(/^tasks\[0\]\.entrypoint\[0\]: expressions/);
    expect(problems[2]).toBe(
      'tasks[0].cmd[1]: invalid expression "inputs." at column 8: unexpected end of expression, expected a name after "."',
    );
    expect(problems[3]).toMatch(/^tasks\[0\]\.gpus: expressions/);
  });

  it('requires sidecar names as host names, each once, and probe timeouts up to 1h', () => {
    const problems = problemsUnder(
      oneTask({
        sidecars: [
          { name: 'My DB', image: 'busybox' },
          { name: 'web', image: 'busybox', probe: { path: '/', port: 80, timeout: '2h' } },
          { name: 'web', image: 'busybox', probe: { path: '/', port: 80, timeout: 'soon' } },
          { name: 'x', image: '{{ inputs.image }}', run: 'a', cmd: ['b'], env: { A: '{{ secrets.a }}' } },
          { name: 'y', probe: { path: 'no-slash', port: 0 } },
        ],
      }),
    );

    expect(problems).toEqual([
      'tasks[0].sidecars[4].image: required',
      'tasks[0].sidecars[4].probe.path: must match pattern "^/"',
      'tasks[0].sidecars[4].probe.port: must be >= 1',
      'tasks[0].sidecars[0].name: must be a host name: lower-case letters, digits and inner "-" (e.g. "my-db")',
      'tasks[0].sidecars[1].probe.timeout: must be at most 1h',
      'tasks[0].sidecars[2].name: another sidecar of this task is named "web"',
      'tasks[0].sidecars[2].probe.timeout: "soon" is not a duration (e.g. 30s)',
      'tasks[0].sidecars[3].cmd: give `run` (a script) or `cmd` (a command), not both; `entrypoint` runs either',
      'tasks[0].sidecars[3].image: expressions ({{ }}) are not evaluated here; pass values to the task through `env`',
      'tasks[0].sidecars[3].env.A: expressions ({{ }}) are not evaluated here; pass values to the task through `env`',
    ]);
  });

  it('refuses container fields on composite tasks, and registries, users and networks of the wrong shape', () => {
    const problems = problemsUnder({
      tasks: [
        {
          parallel: { tasks: [{ image: 'busybox' }] },
          cmd: ['x'],
          mounts: [],
          sidecars: [],
          registry: { username: 'u', password: 'p' },
        },
        { image: 'busybox', registry: { username: 'u' }, user: 'root; rm', networks: ['ok', '-bad'] },
      ],
    });

    expect(problems).toEqual([
      'tasks[1].registry.password: required',
      'tasks[1].user: must match pattern "^[A-Za-z0-9_][A-Za-z0-9_.-]*(:[A-Za-z0-9_][A-Za-z0-9_.-]*)?$"',
      'tasks[1].networks[1]: must match pattern "^[A-Za-z0-9][A-Za-z0-9_.-]*$"',
      'tasks[0].registry: not allowed on a parallel task',
      'tasks[0].cmd: not allowed on a parallel task',
      'tasks[0].mounts: not allowed on a parallel task',
      'tasks[0].sidecars: not allowed on a parallel task',
    ]);
  });

  it('slugs names as Tork does', () => {
    expect(slug('My DB')).toBe('my-db');
    expect(slug('--Web__Server 2--')).toBe('web-server-2');
    expect(slug('???')).toBe('sidecar');
  });
});
