import { describe, expect, it } from 'vitest';
import { parseJobSpec, parseJobSpecText } from './parse.js';
import { oneTask } from './test-helpers.js';

describe('parseJobSpecText: the seed README examples', () => {
  it('accepts hello.yaml', () => {
    const text = [
      '# hello.yaml',
      '---',
      'name: hello job',
      'tasks:',
      '  - name: say hello',
      '    image: ubuntu:mantic',
      '    run: |',
      '      echo -n hello world',
      '',
    ].join('\n');

    expect(parseJobSpecText(text, 'yaml')).toEqual({
      name: 'hello job',
      tasks: [{ name: 'say hello', image: 'ubuntu:mantic', run: 'echo -n hello world\n' }],
    });
  });

  it('accepts the JSON example', () => {
    const text =
      '{"name":"sample job","tasks":[{\n  "name": "sample task",\n  "image": "ubuntu:mantic",\n  "run": "echo hello world"\n}]}';

    expect(parseJobSpecText(text, 'json')).toEqual({
      name: 'sample job',
      tasks: [{ name: 'sample task', image: 'ubuntu:mantic', run: 'echo hello world' }],
    });
  });

  it('accepts the YAML example as written, trailing comma in the image included', () => {
    const text =
      '\nname: sample job\ntasks:\n  - name: sample task\n    image: ubuntu:mantic,\n    run: echo hello world\n';

    expect(parseJobSpecText(text, 'yaml')).toEqual({
      name: 'sample job',
      tasks: [{ name: 'sample task', image: 'ubuntu:mantic,', run: 'echo hello world' }],
    });
  });

  it('accepts convert.yaml with its volume and pre and post tasks', () => {
    const text = `# convert.yaml
---
name: convert a video
tasks:
  - name: convert the first 5 seconds of a video
    image: jrottenberg/ffmpeg:3.4-alpine
    run: |
      ffmpeg -i /tmp/input.ogv -t 5 /tmp/output.mp4
    volumes:
      - /tmp
    pre:
      - name: download the remote file
        image: alpine:3.18.3
        run: |
          wget \\
          https://upload.wikimedia.org/wikipedia/commons/1/18/Big_Buck_Bunny_Trailer_1080p.ogv \\
          -O /tmp/input.ogv
    post:
      - name: upload the converted file
        image: alpine:3.18.3
        run: |
          wget \\
          --post-file=/tmp/output.mp4 \\
          https://devnull-as-a-service.com/dev/null
`;
    const spec = parseJobSpecText(text, 'yaml');

    expect(spec.name).toBe('convert a video');
    expect(spec.tasks).toHaveLength(1);
    const task = spec.tasks[0]!;
    expect(task.volumes).toEqual(['/tmp']);
    expect(task.pre).toEqual([
      {
        name: 'download the remote file',
        image: 'alpine:3.18.3',
        run: 'wget \\\nhttps://upload.wikimedia.org/wikipedia/commons/1/18/Big_Buck_Bunny_Trailer_1080p.ogv \\\n-O /tmp/input.ogv\n',
      },
    ]);
    expect(task.post?.map((step) => step.name)).toEqual(['upload the converted file']);
  });

  it('accepts the retry example, whose scalingFactor is left empty (null)', () => {
    const text = `tasks:
  - image: ubuntu:mantic
    retry:
      limit: 5 # will retry up to 5 times
      initialDelay: 5s # optional: default 1s (max: 5m)
      scalingFactor: # optional: default 2 (max: 10)
`;

    expect(parseJobSpecText(text, 'yaml').tasks[0]?.retry).toEqual({
      limit: 5,
      initialDelay: '5s',
      scalingFactor: null,
    });
  });

  it('accepts the queue, env and limits examples, with env values as strings', () => {
    const text = `name: examples
tasks:
  - name: transcode a video
    queue: transcoding
    image: jrottenberg/ffmpeg:3.4-alpine
    run: ffmpeg -i input.ogv output.mp4
  - name: print a message
    image: ubuntu:mantic
    env:
      INTRO: hello world
      OUTRO: bye world
      COUNT: 3
      VERBOSE: true
    run: |
      echo $INTRO
  - name: some task
    image: ubuntu:mantic
    run: sleep 10
    timeout: 1h30m
    limits:
      cpus: .5
      memory: 10m
`;
    const [transcode, print, limited] = parseJobSpecText(text, 'yaml').tasks;

    expect(transcode?.queue).toBe('transcoding');
    expect(print?.env).toEqual({ INTRO: 'hello world', OUTRO: 'bye world', COUNT: '3', VERBOSE: 'true' });
    expect(limited?.limits).toEqual({ cpus: 0.5, memory: '10m' });
    expect(limited?.timeout).toBe('1h30m');
  });
});

describe('parseJobSpec: what a valid spec becomes', () => {
  it('keeps every field it was given and adds none', () => {
    const body = {
      name: 'everything',
      tasks: [
        {
          name: 'main',
          image: 'busybox',
          run: 'echo hi',
          env: { A: 'a' },
          queue: 'default',
          pre: [{ name: 'before', image: 'busybox', run: 'true', env: { B: 'b' }, timeout: '1m' }],
          post: [{ image: 'busybox' }],
          volumes: ['/data'],
          retry: { limit: 2, initialDelay: '1s', scalingFactor: 2 },
          timeout: '300ms',
          limits: { cpus: '1.5', memory: '1g' },
        },
      ],
    };

    expect(parseJobSpec(structuredClone(body))).toEqual(body);
  });

  it('turns number and boolean env values into strings, in pre and post tasks as well', () => {
    const spec = parseJobSpec(
      oneTask({
        env: { N: 5, B: false },
        pre: [{ image: 'a', env: { P: 1.5 } }],
        post: [{ image: 'b', env: { Q: true } }],
      }),
    );
    const task = spec.tasks[0]!;

    expect(task.env).toEqual({ N: '5', B: 'false' });
    expect(task.pre?.[0]?.env).toEqual({ P: '1.5' });
    expect(task.post?.[0]?.env).toEqual({ Q: 'true' });
  });

  it('leaves the body it was given unchanged', () => {
    const body = oneTask({ env: { N: 5 } });
    const before = structuredClone(body);
    parseJobSpec(body);

    expect(body).toEqual(before);
  });
});
