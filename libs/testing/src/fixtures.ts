import {
  newExecution,
  newJob,
  parseJobSpec,
  type Job,
  type JobSpec,
  type Message,
  type Task,
} from '@tork/domain';

/** The seed README's hello.yaml, validated. */
export function helloSpec(): JobSpec {
  return parseJobSpec({
    name: 'hello job',
    tasks: [{ name: 'say hello', image: 'ubuntu:mantic', run: 'echo -n hello world\n' }],
  });
}

/** A job spec that uses every task field, nested pre/post steps included, so storage round trips are tested in full. */
export function richSpec(): JobSpec {
  return parseJobSpec({
    name: 'convert a video',
    tasks: [
      {
        name: 'convert the first 5 seconds of a video',
        image: 'jrottenberg/ffmpeg:3.4-alpine',
        run: 'ffmpeg -i /tmp/input.ogv -t 5 /tmp/output.mp4\n',
        env: { INTRO: 'hello world', LEVEL: '3' },
        queue: 'transcoding',
        volumes: ['/tmp', '/data1'],
        retry: { limit: 2, initialDelay: '5s', scalingFactor: 3 },
        timeout: '45m',
        limits: { cpus: '.5', memory: '10m' },
        pre: [
          {
            name: 'download the remote file',
            image: 'alpine:3.18.3',
            run: 'wget https://example.com/input.ogv -O /tmp/input.ogv',
            env: { URL: 'https://example.com' },
            timeout: '1m',
          },
        ],
        post: [{ name: 'upload the converted file', image: 'alpine:3.18.3', run: 'echo uploaded ünïcødé ✓' }],
      },
      { name: 'say done', image: 'busybox', run: 'echo done' },
      { image: 'busybox' },
    ],
  });
}

const BASE_TIME = Date.UTC(2024, 0, 1, 12, 0, 0);

/** A fixed ISO-8601 UTC timestamp `offsetMs` after a base instant: distinct, ordered and reproducible. */
export function timestamp(offsetMs = 0): string {
  return new Date(BASE_TIME + offsetMs).toISOString();
}

/** A new PENDING job for `spec` (hello.yaml by default). */
export function jobFixture(spec: JobSpec = helloSpec(), createdAt: string = timestamp()): Job {
  return newJob(spec, createdAt);
}

/** A new PENDING execution of `job`'s top-level task at `index`. */
export function taskFixture(job: Job, index = 0, attempt = 1, createdAt: string = timestamp()): Task {
  const spec = job.tasks[index];
  if (spec === undefined) throw new RangeError(`job ${job.id} has no task at index ${index}`);
  return {
    ...newExecution({
      job,
      index,
      spec,
      attempt,
      context: { inputs: {}, secrets: {}, tasks: {} },
      now: createdAt,
    }),
    retries: attempt - 1,
  };
}

/** A new execution under a composite task: its child at `index`, with `fields` set. */
export function childFixture(
  parent: Task,
  index: number,
  fields: Partial<Task> = {},
  createdAt: string = timestamp(),
): Task {
  return {
    ...newExecution({
      job: { id: parent.jobId },
      parentId: parent.id,
      index,
      spec: { name: `child ${index}`, image: 'busybox', run: `echo ${index}` },
      context: { inputs: {}, secrets: {}, tasks: {} },
      now: createdAt,
    }),
    ...fields,
  };
}

/** A small message that names itself by `n`, to tell deliveries apart. */
export function jobMessage(n: number | string): Message {
  return { type: 'job.submitted', jobId: `job-${String(n)}` };
}
